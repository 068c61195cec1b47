/* The thin runtime of resc's AOT libraries: a plain C API (usable from C and
 * C++) that runs the static plan of a compiled model over its Halide kernels.
 *
 * A library written by `resc compile model.res -o DIR --name NAME` holds the
 * kernels, the plan and (with --weights) the packed weights; DIR/NAME.h
 * declares NAME_create, NAME_run, ... which call the functions below with
 * the library's definition. Apps normally use NAME.h; the generic functions
 * here serve code that handles several models alike.
 *
 * Every function returns a resc_status (RESC_OK is 0). On an error the
 * message is kept by the instance (resc_model_error_message) and, for
 * errors without an instance (a failed create), per thread
 * (resc_model_error_message(NULL)). No function aborts the host program:
 * Halide's run-time errors are recorded through an error handler that the
 * runtime installs (see docs/aot.md for what that means for other Halide
 * code in the same app).
 *
 * Threads: an instance owns its arena, so separate instances may run on
 * separate threads at once; one instance runs one call at a time (calls on
 * one instance are serialised). Kernels share Halide's one thread pool. */
#ifndef RESC_RUNTIME_RESC_RUNTIME_H
#define RESC_RUNTIME_RESC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A status code: int32_t rather than an enum type so that its size is the
 * same in every language and compiler that calls the library. */
typedef int32_t resc_status;
enum {
  RESC_OK = 0,
  /** A required pointer argument was NULL. */
  RESC_ERROR_NULL_POINTER = 1,
  /** A bad argument: batch < 1, a shape that does not fit the model, an
   *  index out of range, an instance of another model. */
  RESC_ERROR_INVALID_ARGUMENT = 2,
  /** Weights missing, mis-shaped, unreadable or truncated. */
  RESC_ERROR_WEIGHTS = 3,
  /** An allocation failed (the arena of a large batch). */
  RESC_ERROR_OUT_OF_MEMORY = 4,
  /** A kernel reported an error (Halide's message is kept). */
  RESC_ERROR_KERNEL = 5,
  /** The library's embedded plan is malformed or of another version. */
  RESC_ERROR_BAD_LIBRARY = 6,
};

/** Highest tensor rank the API describes. */
#define RESC_MAX_RANK 8

/** A dense f32 tensor in C order, for calls that check shapes. */
typedef struct resc_tensor {
  float *data;
  int32_t rank;
  int64_t shape[RESC_MAX_RANK];
} resc_tensor;

typedef struct resc_model resc_model;

/** What a generated library hands the runtime (its fields are written by
 *  resc compile; apps never fill one in). */
typedef int (*resc_kernel_fn)(void **args);
typedef struct resc_model_def {
  /** RESC_MODEL_DEF_ABI of the compiler that wrote the library. */
  uint32_t abi;
  const char *name;
  const char *target;
  const unsigned char *plan;
  uint64_t plan_size;
  /** Packed weights bound at compile time (64-byte aligned), or NULL. */
  const float *weights;
  uint64_t weights_floats;
  const resc_kernel_fn *kernels;
  uint32_t num_kernels;
} resc_model_def;
#define RESC_MODEL_DEF_ABI 1u

/** Creates an instance. Weights come from, in this order of preference:
 *  the safetensors file `weights_path` (if not NULL), the safetensors bytes
 *  `weights_data` of `weights_size` bytes (if not NULL), or the weights bound
 *  when the library was compiled (RESC_ERROR_WEIGHTS if there are none).
 *  On failure *out is NULL and resc_model_error_message(NULL) says why. */
resc_status resc_model_create(const resc_model_def *def,
                              const char *weights_path,
                              const void *weights_data, size_t weights_size,
                              resc_model **out);
/** Options of resc_model_create_with_options: zero-initialise, then set
 *  the fields wanted. */
typedef struct resc_create_options {
  /** Nonzero: tensors of the weights that the model does not have are
   *  ignored. By default (0) they are an error, RESC_ERROR_WEIGHTS, as in
   *  PyTorch's load_state_dict(strict=True): a file with an extra tensor
   *  usually belongs to another model. */
  int32_t non_strict;
} resc_create_options;
/** resc_model_create with options (NULL: the defaults). */
resc_status resc_model_create_with_options(const resc_model_def *def,
                                           const char *weights_path,
                                           const void *weights_data,
                                           size_t weights_size,
                                           const resc_create_options *options,
                                           resc_model **out);
/** Weights from a safetensors file / bytes; NULL is an error here (rather
 *  than a fallback to the embedded weights). */
resc_status resc_model_create_from_file(const resc_model_def *def,
                                        const char *weights_path,
                                        resc_model **out);
resc_status resc_model_create_from_memory(const resc_model_def *def,
                                          const void *weights_data,
                                          size_t weights_size,
                                          resc_model **out);
resc_status resc_model_destroy(resc_model *model);

/** The message of the last failed call on `model`, or of this thread's last
 *  failure without an instance when `model` is NULL; "" when none. Valid
 *  until the next call on the same instance (or thread). */
const char *resc_model_error_message(const resc_model *model);

/** The definition an instance was created from (NULL for NULL). */
const resc_model_def *resc_model_definition(const resc_model *model);
/** RESC_OK when `model` was created from `def`; otherwise an error (kept
 *  by the instance) that names both models. Generated NAME_* functions call
 *  it so that an instance of another model is an error, not a crash. */
resc_status resc_model_check_definition(resc_model *model,
                                        const resc_model_def *def);

/** Runs a forward pass: inputs[i] points to input i, C order, of shape
 *  [batch, ...the model's dims]; outputs[i] to room for output i. */
resc_status resc_model_run(resc_model *model, const float *const *inputs,
                           int64_t batch, float *const *outputs);
/** The same with shapes checked: every input's and output's rank and dims
 *  must match the model's (the batch dim equal across all). */
resc_status resc_model_run_tensors(resc_model *model, const resc_tensor *inputs,
                                   size_t num_inputs, resc_tensor *outputs,
                                   size_t num_outputs);

/** Shapes and names. Shapes include the batch dim, reported as -1. */
resc_status resc_model_num_inputs(const resc_model *model, size_t *count);
resc_status resc_model_num_outputs(const resc_model *model, size_t *count);
resc_status resc_model_input_name(const resc_model *model, size_t index,
                                  const char **name);
resc_status resc_model_output_name(const resc_model *model, size_t index,
                                   const char **name);
/** Writes the rank to *rank and up to RESC_MAX_RANK dims to dims. */
resc_status resc_model_input_shape(const resc_model *model, size_t index,
                                   int32_t *rank, int64_t *dims);
resc_status resc_model_output_shape(const resc_model *model, size_t index,
                                    int32_t *rank, int64_t *dims);

/** Size of Halide's thread pool, for every model in the process (0: one per
 *  core, the default; HL_NUM_THREADS also sets it). Call it while no model
 *  runs: a smaller pool is made by shutting the old one down. */
resc_status resc_set_num_threads(int threads);

/** Per-kernel timing: enable (clears earlier times), then read one row per
 *  call site of the plan, in plan order. `layer` is the model's layer name,
 *  `kernel` the kernel's key; seconds and FLOPs are summed over the runs. */
resc_status resc_model_set_profiling(resc_model *model, int enabled);
resc_status resc_model_profile_size(const resc_model *model, size_t *rows);
resc_status resc_model_profile_row(const resc_model *model, size_t row,
                                   const char **layer, const char **kernel,
                                   int64_t *calls, double *seconds,
                                   double *flops);

/* Training (libraries compiled with `resc compile --train`; every function
 * below returns RESC_ERROR_INVALID_ARGUMENT "this library was compiled
 * without --train" otherwise, and they run on CPU targets only). A step:
 *   resc_model_train_forward -> the loss's gradient of the outputs ->
 *   resc_model_backward -> an optimiser over resc_model_parameter's data and
 *   grad -> resc_model_parameters_changed. docs/aot.md has the details. */

/** Training-mode forward pass (batch norm with the batch statistics). It
 *  reads the instance's current parameters directly, writes the outputs,
 *  and writes the new running statistics into the instance's parameters
 *  (PyTorch's momentum update). The activations the backward pass needs
 *  stay in the instance until the next backward. */
resc_status resc_model_train_forward(resc_model *model,
                                     const float *const *inputs, int64_t batch,
                                     float *const *outputs);
/** Backward pass of the last train_forward (an error if there was none
 *  since the last backward): grad_outputs[i] is the gradient of output i
 *  (its shape, that batch). Writes the gradient of every input into
 *  grad_inputs[i] unless grad_inputs or that entry is NULL, and OVERWRITES
 *  (does not accumulate) the instance's parameter gradients. */
resc_status resc_model_backward(resc_model *model,
                                const float *const *grad_outputs,
                                float *const *grad_inputs);
/** Every parameter of the model: trainable ones (with a gradient) and
 *  buffers (running statistics: grad NULL, trainable 0). `data` is the
 *  instance's own C-order copy, which an optimiser updates in place. */
resc_status resc_model_num_parameters(const resc_model *model, size_t *count);
resc_status resc_model_parameter(resc_model *model, size_t index,
                                 const char **name, float **data,
                                 const float **grad, int64_t *count,
                                 int32_t *trainable);
/** Call after changing parameters in place: re-packs the weights that
 *  resc_model_run's kernels read (run also does it by itself, lazily, after
 *  a train_forward updated the running statistics). train_forward and
 *  backward always read the parameters as they are and need no call. */
resc_status resc_model_parameters_changed(resc_model *model);
/** Writes every parameter under its name as safetensors (loadable by
 *  `resc run --weights` and by resc_model_create). */
resc_status resc_model_save_weights(const resc_model *model, const char *path);

#ifdef __cplusplus
}
#endif

#endif
