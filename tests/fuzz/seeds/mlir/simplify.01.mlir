// relu on a sigmoid is a no-op; relu on a tanh is not.
// CHECK-LABEL: func.func @nonnegative
// CHECK-NEXT: %[[S:.*]] = res.activation sigmoid %arg0
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %[[S]]
// CHECK-NEXT: %[[R:.*]] = res.activation relu %[[T]]
// CHECK-NEXT: return %[[R]]
func.func @nonnegative(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %s = res.activation sigmoid %x : tensor<?x4xf32>
  %r = res.activation relu %s : tensor<?x4xf32>
  %t = res.activation tanh %r : tensor<?x4xf32>
  %r2 = res.activation relu %t : tensor<?x4xf32>
  return %r2 : tensor<?x4xf32>
}
