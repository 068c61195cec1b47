// expected-error@+1 {{parameter shapes must be static}}
res.param @dyn : tensor<?xf32>
