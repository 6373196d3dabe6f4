// The benchmark's Go peer: what a team might write instead of the gateway
// for the one call the benchmark makes. A grpc-go server of
// RegistrationService.DeleteRegistration (the generated API of the Go
// client module) whose every call becomes one HTTP DELETE to the upstream
// with net/http — the Dash Replenishment request the gateway sends, the
// caller's token as its bearer token — answered with the upstream's type
// version. Nothing else: no authentication, no checks beyond the target, no
// retries, no audit trail, no metrics. It prints
// "listening on 127.0.0.1:<port>" once it serves.
//
//	go_peer --upstream=http://127.0.0.1:PORT
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pb "linkgateway.io/client/linkgatewayv1"
)

type peer struct {
	pb.UnimplementedRegistrationServiceServer
	client *http.Client
	url    string
}

func (p *peer) DeleteRegistration(ctx context.Context, in *pb.DeleteRegistrationRequest) (*pb.DeleteRegistrationResponse, error) {
	device := in.GetDashReplenishment()
	if device == nil {
		return nil, status.Error(codes.InvalidArgument, "target: dash_replenishment is required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, p.url, nil)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+device.GetAccessToken())
	req.Header.Set("x-amzn-type-version", "com.amazon.dash.replenishment.DrsDeregisterInput@2.0")
	req.Header.Set("x-amzn-accept-type", "com.amazon.dash.replenishment.DrsDeregisterResult@1.0")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	// Read to the end, so the connection is kept for the next call.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, status.Errorf(codes.Unavailable, "the upstream answered %d", resp.StatusCode)
	}
	return &pb.DeleteRegistrationResponse{Result: &pb.DeleteRegistrationResponse_DashReplenishment{
		DashReplenishment: &pb.DashReplenishmentDeregistration{
			ResultTypeVersion: resp.Header.Get("x-amzn-type-version"),
		},
	}}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "gRPC address to serve on")
	upstream := flag.String("upstream", "", "the upstream's base URL (http://host:port)")
	flag.Parse()
	// One kept connection per concurrent call, as the gateway's transport
	// keeps them (net/http's default keeps 2 per host).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 4096
	transport.MaxIdleConnsPerHost = 4096
	p := &peer{
		client: &http.Client{Transport: transport, Timeout: 30 * time.Second},
		url:    *upstream + "/registration",
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	pb.RegisterRegistrationServiceServer(server, p)
	fmt.Printf("listening on %s\n", lis.Addr())
	if err := server.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
