// Nested blocks flatten inside out; an identity shortcut adds the input.
// CHECK-LABEL: func.func @nested
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %arg0
// CHECK-NEXT: %[[IN:.*]] = res.add %[[T]], %[[T]] {layer = "inner.add"}
// CHECK-NEXT: %[[OUT:.*]] = res.add %arg0, %[[IN]] {layer = "outer.add"}
// CHECK-NEXT: return %[[OUT]]
func.func @nested(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "outer"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    %i = res.residual %t {layer = "inner"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
    ^bb0(%b: tensor<?x4xf32>):
      res.yield %b : tensor<?x4xf32>
    }
    res.yield %i : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
