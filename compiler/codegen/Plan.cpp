// Memory planning: every activation gets an interval of kernel-call times
// during which it must keep its value, and slots whose intervals do not
// overlap may share memory. Offsets are then assigned greedily, largest
// tensor first, at the lowest offset that does not collide with an
// already-placed tensor alive at the same time (the "greedy by size"
// heuristic of TFLite's and ONNX Runtime's arena planners).
//
// In place: a call whose kernel may write its result over an operand
// (KernelDesc::inPlaceOperand) gets the operand's memory when the operand
// is read for the last time there and by no other operand of the call; the
// two then form one tensor on the time line.
//
// Loops: the body's calls appear once on the time line. A tensor defined
// before a loop and read inside it stays alive until the loop ends (every
// iteration reads it). The loop's two alternating buffers (`arg` and
// `yield`) live for the whole loop and as long as its result is read.
#include "compiler/codegen/Plan.h"

#include <algorithm>
#include <map>

namespace res {
namespace codegen {

namespace {

struct Interval {
  int64_t def = -1, last = -1;
};

class LifetimeWalker {
public:
  explicit LifetimeWalker(Plan &plan) : plan(plan), life(plan.slots.size()) {}

  void run() { walk(plan.steps); }
  std::vector<Interval> life;
  /// Every call and its time.
  std::vector<std::pair<const Step *, int64_t>> calls;

private:
  struct Loop {
    int64_t start, end;
  };

  /// Number of calls in `steps`, loops counted once.
  static int64_t length(const std::vector<Step> &steps) {
    int64_t n = 0;
    for (const Step &s : steps)
      n += s.kind == Step::Call ? 1 : length(s.body);
    return n;
  }

  void define(int slot, int64_t t) {
    if (plan.slots[slot].kind != Slot::Activation)
      return;
    Interval &i = life[slot];
    if (i.def < 0)
      i.def = t;
    i.last = std::max(i.last, t);
  }

  void use(int slot, int64_t t) {
    const Slot &s = plan.slots[slot];
    if (s.kind == Slot::LoopResult) {
      auto it = loopBuffers.find(slot);
      if (it != loopBuffers.end()) {
        use(it->second.first, t);
        use(it->second.second, t);
      }
      return;
    }
    if (s.kind != Slot::Activation)
      return;
    Interval &i = life[slot];
    i.last = std::max(i.last, t);
    // Read in every iteration of each loop it was defined outside of.
    for (const Loop &loop : loops)
      if (i.def < loop.start)
        i.last = std::max(i.last, loop.end);
  }

  void walk(const std::vector<Step> &steps) {
    for (const Step &s : steps) {
      if (s.kind == Step::Call) {
        for (int o : s.operands)
          use(o, time);
        define(s.result, time);
        calls.push_back({&s, time});
        ++time;
        continue;
      }
      const int64_t start = time, end = time + length(s.body) - 1;
      define(s.arg, start);
      define(s.yield, start);
      use(s.input, start);
      use(s.input, end);
      use(s.arg, end);
      use(s.yield, end);
      loopBuffers[s.result] = {s.arg, s.yield};
      loops.push_back({start, end});
      walk(s.body);
      loops.pop_back();
    }
  }

  Plan &plan;
  std::vector<Loop> loops;
  std::map<int, std::pair<int, int>> loopBuffers;
  int64_t time = 0;
};

/// 64-byte alignment of every tensor at every batch size.
int64_t aligned(int64_t floats) { return (floats + 15) / 16 * 16; }

} // namespace

void Plan::planMemory() {
  LifetimeWalker walker(*this);
  walker.run();
  // owner[s]: the slot whose memory s uses (itself unless in place).
  std::vector<int> owner(slots.size());
  for (size_t i = 0; i < slots.size(); ++i)
    owner[i] = int(i);
  for (auto [step, time] : walker.calls) {
    const int k = kernels[step->kernel].inPlaceOperand;
    if (k < 0)
      continue;
    const int operand = step->operands[k], result = step->result;
    if (std::count(step->operands.begin(), step->operands.end(), operand) !=
            1 ||
        slots[result].kind != Slot::Activation || !slots[result].batched ||
        slots[result].dims != slots[operand].dims ||
        walker.life[operand].last != time || walker.life[result].def != time)
      continue;
    const int root = owner[operand];
    owner[result] = root;
    walker.life[root].last =
        std::max(walker.life[root].last, walker.life[result].last);
  }
  std::vector<int> order;
  unsharedPerSample = 0;
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].kind == Slot::Activation && slots[i].batched &&
        walker.life[i].def >= 0) {
      if (owner[i] == int(i))
        order.push_back(int(i));
      unsharedPerSample += aligned(slots[i].size());
    }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return slots[a].size() > slots[b].size();
  });
  std::vector<int> placed;
  arenaPerSample = 0;
  for (int s : order) {
    const Interval &life = walker.life[s];
    // Collisions: placed tensors alive at the same time, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (int p : placed) {
      const Interval &other = walker.life[p];
      if (other.def <= life.last && life.def <= other.last)
        busy.push_back(
            {slots[p].offset, slots[p].offset + aligned(slots[p].size())});
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0, need = aligned(slots[s].size());
    for (auto [begin, end] : busy) {
      if (offset + need <= begin)
        break;
      offset = std::max(offset, end);
    }
    slots[s].offset = offset;
    arenaPerSample = std::max(arenaPerSample, offset + need);
    placed.push_back(s);
  }
  for (size_t i = 0; i < slots.size(); ++i)
    if (owner[i] != int(i))
      slots[i].offset = slots[owner[i]].offset;
}

namespace {
int64_t countCalls(const std::vector<Step> &steps) {
  int64_t n = 0;
  for (const Step &s : steps)
    n += s.kind == Step::Call ? 1 : s.count * countCalls(s.body);
  return n;
}
} // namespace

int64_t Plan::callCount() const { return countCalls(steps); }

} // namespace codegen
} // namespace res
