module example.com/unlinksample

go 1.19

require linkgateway.io/client v0.6.0

replace linkgateway.io/client => ../../../../clients/go
