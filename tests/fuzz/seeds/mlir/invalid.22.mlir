// expected-error@+1 {{value of type 'tensor<3xf32>' does not match the declared type 'tensor<4xf32>'}}
res.param @bound : tensor<4xf32> = dense<1.0> : tensor<3xf32>
