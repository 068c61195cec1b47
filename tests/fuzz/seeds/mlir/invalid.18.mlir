func.func @repeat_count(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{count must be at least 1, got 0}}
  %0 = res.repeat %x {count = 0 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}
