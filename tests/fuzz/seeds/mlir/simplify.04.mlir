// A tied repeat of count 1 is its body; count 2 stays a loop; a repeat
// whose body yields its argument is its input.
// CHECK-LABEL: func.func @repeats
// CHECK-NEXT: %[[W:.*]] = res.weight @t.weight
// CHECK-NEXT: %[[D:.*]] = res.dense %arg0, %[[W]]
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %[[D]]
// CHECK-NEXT: %[[R:.*]] = res.repeat %[[T]] {count = 2 : i64}
// CHECK: return %[[R]]
res.param @t.weight : tensor<4x4xf32>
func.func @repeats(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.repeat %x {count = 1 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @t.weight : tensor<4x4xf32>
    %d = res.dense %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %t = res.activation tanh %d : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  }
  %z = res.repeat %y {count = 2 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  }
  %e = res.repeat %z {count = 5 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %e : tensor<?x4xf32>
}
