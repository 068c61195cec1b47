// A tied repeat applies its block 3 times: (1 + 1)^3 = 8. The inner block
// of the branch is part of the outer block's bound: L(F) = tanh * (1 + 1)
// = 2, outer 1 + 2 = 3; the product counts only the outer blocks.
// TABLE: Lipschitz bounds of 'tied' (power-iteration estimate)
// TABLE-NEXT: block branch shortcut total times
// TABLE-NEXT: ode 1 1 2 3
// TABLE-NEXT: outer 2 1 3 1
// TABLE-NEXT: inner 1 1 2 1
// TABLE-NEXT: product over blocks: 24
// TABLE-NEXT: network: 24
// expected-remark@+1 {{model 'tied': Lipschitz certified upper bound of the network 24, product over blocks 24}}
func.func @tied(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %y = res.repeat %x {count = 3 : i64, layer = "ode"} : tensor<?x2xf32> body {
  ^bb0(%a: tensor<?x2xf32>):
    // expected-remark@+1 {{block 'ode': Lipschitz certified upper bound of the branch 1, of the shortcut 1, of the block 2 (applied 3 times)}}
    %r = res.residual %a {layer = "ode"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
    ^bb0(%b: tensor<?x2xf32>):
      %t = res.activation tanh %b : tensor<?x2xf32>
      res.yield %t : tensor<?x2xf32>
    }
    res.yield %r : tensor<?x2xf32>
  }
  // expected-remark@+1 {{block 'outer': Lipschitz certified upper bound of the branch 2, of the shortcut 1, of the block 3}}
  %z = res.residual %y {layer = "outer"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %t = res.activation tanh %a : tensor<?x2xf32>
    // expected-remark@+1 {{block 'inner': Lipschitz certified upper bound of the branch 1, of the shortcut 1, of the block 2}}
    %i = res.residual %t {layer = "inner"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
    ^bb0(%b: tensor<?x2xf32>):
      res.yield %b : tensor<?x2xf32>
    }
    res.yield %i : tensor<?x2xf32>
  }
  return %z : tensor<?x2xf32>
}
