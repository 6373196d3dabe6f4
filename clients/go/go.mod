// linkgateway's Go client: the generated API (linkgatewayv1), a small
// library (this package) and the linkgateway-go CLI. The versions are the
// ones Debian ships (golang-google-grpc-dev, golang-google-protobuf-dev,
// golang-google-genproto-dev, ...): builds here are offline, from a vendor/
// folder that debian_vendor.py fills from /usr/share/gocode (see
// docs/clients/go.md).
module linkgateway.io/client

go 1.19

require (
	github.com/golang/protobuf v1.5.2
	golang.org/x/net v0.7.0
	golang.org/x/sys v0.3.0
	golang.org/x/text v0.7.0
	google.golang.org/genproto v0.0.0-20200413115906-b5235f65be36
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
