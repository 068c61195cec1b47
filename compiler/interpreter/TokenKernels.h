// The reference kernels of the token ops (Transformers): tensors of tokens
// [N, T, D], T tokens of D features each, in C order. Same contract as
// Kernels.h: PyTorch's semantics, every operand checked, false with `error`
// on a mismatch.
#ifndef RESC_COMPILER_INTERPRETER_TOKENKERNELS_H
#define RESC_COMPILER_INTERPRETER_TOKENKERNELS_H

#include "resc/Tensor.h"

#include <cstdint>
#include <string>

namespace res {
namespace kernels {

/// [N, C, H, W] -> [N, H*W, C]: x.flatten(2).transpose(1, 2).
bool tokens(const resc::Tensor &x, resc::Tensor &out, std::string &error);

/// [N, T, D] and a learned token [1, 1, D] -> [N, T + 1, D], the token first.
bool classToken(const resc::Tensor &x, const resc::Tensor &token,
                resc::Tensor &out, std::string &error);

/// x + e, e [1, T, D] broadcast over the batch.
bool posEmbedding(const resc::Tensor &x, const resc::Tensor &e,
                  resc::Tensor &out, std::string &error);

/// x[:, index, :]: [N, T, D] -> [N, D].
bool token(const resc::Tensor &x, int64_t index, resc::Tensor &out,
           std::string &error);

/// The parameters of one self-attention layer, nn.MultiheadAttention's:
/// inWeight [3D, D], inBias [3D], outWeight [D, D], outBias [D]; the biases
/// are both given or both null.
struct AttentionParams {
  const resc::Tensor *inWeight = nullptr, *inBias = nullptr;
  const resc::Tensor *outWeight = nullptr, *outBias = nullptr;
  int64_t heads = 1;
};

/// Checks `x` [N, T, D] against `p`; false with `error` on any mismatch.
bool checkAttention(const resc::Tensor &x, const AttentionParams &p,
                    std::string &error);

/// The heads of self-attention: `qkv` [N, T, 3D] holds q, k and v side by
/// side; head h gives softmax(q_h k_h^T / sqrt(D / heads)) v_h into its
/// D / heads features of the [N, T, D] result.
bool attentionHeads(const resc::Tensor &qkv, int64_t heads, resc::Tensor &out,
                    std::string &error);

/// nn.MultiheadAttention(D, heads, batch_first=True)(x, x, x) without mask
/// or dropout, its first result: the input projection, attentionHeads and
/// the output projection.
bool attention(const resc::Tensor &x, const AttentionParams &p,
               resc::Tensor &out, std::string &error);

} // namespace kernels
} // namespace res

#endif
