// The reference gradients of the token ops (TokenKernels.h): one
// vector-Jacobian product per op, in double, with the checks and messages
// of the other gradient kernels (GradKernels.h).
#ifndef RESC_COMPILER_INTERPRETER_TOKENGRADKERNELS_H
#define RESC_COMPILER_INTERPRETER_TOKENGRADKERNELS_H

#include "resc/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace res {
namespace kernels {

/// tokens' gradient: dy [N, H*W, C] back to the image `shape` [N, C, H, W].
bool tokensGrad(const resc::Tensor &dy, const std::vector<int64_t> &shape,
                resc::Tensor &out, std::string &error);

/// class_token's input gradient: dy [N, T + 1, D] without its first token.
bool classTokenGrad(const resc::Tensor &dy, resc::Tensor &out,
                    std::string &error);

/// The sum over the batch of tokens [0, count) of dy [N, T, D]: [1, count,
/// D]. The class token's gradient (count 1) and the position embedding's
/// (count T).
bool batchSumTokens(const resc::Tensor &dy, int64_t count, resc::Tensor &out,
                    std::string &error);

/// token(index)'s gradient: dy [N, D] into token `index` of zeros [N, T, D].
bool tokenGrad(const resc::Tensor &dy, int64_t index, int64_t tokens,
               resc::Tensor &out, std::string &error);

/// The heads' gradient: dy [N, T, D] and their input qkv [N, T, 3D] give
/// dqkv [N, T, 3D]. The attention probabilities are recomputed, not read.
bool attentionHeadsGrad(const resc::Tensor &dy, const resc::Tensor &qkv,
                        int64_t heads, resc::Tensor &out, std::string &error);

} // namespace kernels
} // namespace res

#endif
