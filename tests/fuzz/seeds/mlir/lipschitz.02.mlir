// Parameters supplied at run time leave the bound unknown, and say so.
// TABLE: unbounded (parameters supplied at run time): fc
res.param @fc.weight : tensor<2x2xf32>
// expected-remark@+1 {{model 'unbound': Lipschitz certified upper bound of the network inf, product over blocks 1; unbounded because parameters are supplied at run time: fc}}
func.func @unbound(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = res.weight @fc.weight : tensor<2x2xf32>
  %d = res.dense %x, %w {layer = "fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %d : tensor<?x2xf32>
}
