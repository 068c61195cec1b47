// The `res` dialect: residual networks as first-class IR.
#ifndef RES_BASE_TD
#define RES_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Res_Dialect : Dialect {
  let name = "res";
  let cppNamespace = "::res";
  let summary = "Residual networks: blocks, shortcuts, scales and tied repeats";
  let description = [{
    Tensors are builtin ranked f32 tensors in NCHW (or NC) order whose batch
    dimension is dynamic. Parameters are module-level `res.param` symbols that
    either carry a bound value or are supplied when the model runs; ops read
    them through `res.weight`. A residual block is one `res.residual` op with a
    branch region and an optional shortcut region, so block-level passes see
    whole blocks.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let useDefaultAttributePrinterParser = 1;
}

def Res_ActivationKind : I32EnumAttr<"Activation", "element-wise activation", [
    I32EnumAttrCase<"identity", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"gelu", 2>,
    I32EnumAttrCase<"sigmoid", 3>,
    I32EnumAttrCase<"tanh", 4>,
    // The activations of MobileNetV2/V3 and EfficientNet, as PyTorch's
    // nn.ReLU6, nn.Hardsigmoid, nn.Hardswish and nn.SiLU define them.
    I32EnumAttrCase<"relu6", 5>,
    I32EnumAttrCase<"hardsigmoid", 6>,
    I32EnumAttrCase<"hardswish", 7>,
    I32EnumAttrCase<"silu", 8>
  ]> {
  let cppNamespace = "::res";
  let genSpecializedAttr = 0;
}

def Res_ActivationAttr : EnumAttr<Res_Dialect, Res_ActivationKind, "activation"> {
  let assemblyFormat = "$value";
}

def F32Tensor1 : 1DTensorOf<[F32]>;
def F32Tensor2 : 2DTensorOf<[F32]>;
def F32Tensor3 : 3DTensorOf<[F32]>;
def F32Tensor4 : 4DTensorOf<[F32]>;
def F32AnyTensor : RankedTensorOf<[F32]>;

#endif // RES_BASE_TD
