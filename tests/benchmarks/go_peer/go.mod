// The benchmark's Go peer (main.go), on the Go client module's generated API
// and the versions Debian ships; built offline by build.sh.
module linkgateway.io/benchmarks/go_peer

go 1.19

require linkgateway.io/client v0.0.0

replace linkgateway.io/client => ../../../clients/go
