// linkgateway-go calls every linkgateway RPC from Go with the generated
// stubs (Debian's protoc-gen-go and protoc-gen-go-grpc, grpc-go), and prints
// an error's google.rpc.Status details: ErrorInfo, RetryInfo, BadRequest.
//
//	linkgateway-go [--target 127.0.0.1:50051] [--timeout 30s] VERB 'REQUEST JSON'
//
// VERB is delete-registration, get-subscription-info, delete-subscription,
// delete-app-profile or get-profile-transaction; the request is proto3 JSON
// ("-" reads it from standard input). TLS: --ca-file; mTLS adds --cert-file
// and --key-file; a bearer token comes from --token-file (a file, so it stays
// out of shell history). The answer is printed as JSON; a failed call prints
// {"error": {...}} and exits with its gRPC code.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "linkgateway/api/v1"
)

// One RPC: a fresh request message and how to call it.
type rpc struct {
	request func() proto.Message
	call    func(ctx context.Context, conn *grpc.ClientConn, request proto.Message) (proto.Message, error)
}

var rpcs = map[string]rpc{
	"delete-registration": {
		func() proto.Message { return &pb.DeleteRegistrationRequest{} },
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message) (proto.Message, error) {
			return pb.NewRegistrationServiceClient(c).DeleteRegistration(ctx, r.(*pb.DeleteRegistrationRequest))
		},
	},
	"get-subscription-info": {
		func() proto.Message { return &pb.GetSubscriptionInfoRequest{} },
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message) (proto.Message, error) {
			return pb.NewSubscriptionServiceClient(c).GetSubscriptionInfo(ctx, r.(*pb.GetSubscriptionInfoRequest))
		},
	},
	"delete-subscription": {
		func() proto.Message { return &pb.DeleteSubscriptionRequest{} },
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message) (proto.Message, error) {
			return pb.NewSubscriptionServiceClient(c).DeleteSubscription(ctx, r.(*pb.DeleteSubscriptionRequest))
		},
	},
	"delete-app-profile": {
		func() proto.Message { return &pb.DeleteAppProfileRequest{} },
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message) (proto.Message, error) {
			return pb.NewAppProfileServiceClient(c).DeleteAppProfile(ctx, r.(*pb.DeleteAppProfileRequest))
		},
	},
	"get-profile-transaction": {
		func() proto.Message { return &pb.GetProfileTransactionRequest{} },
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message) (proto.Message, error) {
			return pb.NewAppProfileServiceClient(c).GetProfileTransaction(ctx, r.(*pb.GetProfileTransactionRequest))
		},
	},
}

// The canonical names of gRPC codes, as the other languages print them.
var codeNames = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
	"DATA_LOSS", "UNAUTHENTICATED"}

func codeName(code codes.Code) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return code.String()
}

// explain turns a failed call's status and its details into a readable map.
func explain(err error) map[string]interface{} {
	s := status.Convert(err)
	out := map[string]interface{}{"code": codeName(s.Code()), "message": s.Message()}
	for _, detail := range s.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			out["reason"] = d.Reason
			out["domain"] = d.Domain
			out["metadata"] = d.Metadata
			if id, ok := d.Metadata["upstreamRequestId"]; ok {
				out["upstreamRequestId"] = id
			}
		case *errdetails.RetryInfo:
			out["retryDelaySeconds"] = float64(d.RetryDelay.GetSeconds()) + float64(d.RetryDelay.GetNanos())/1e9
		case *errdetails.BadRequest:
			var violations []map[string]string
			for _, v := range d.FieldViolations {
				violations = append(violations, map[string]string{"field": v.Field, "description": v.Description})
			}
			out["fieldViolations"] = violations
		}
	}
	return out
}

// setRequestID gives a delete without a request_id a fresh one (AIP-155): a
// retry of this call with the same request is then answered from the
// gateway's record instead of deleting twice.
func setRequestID(request proto.Message) {
	message := request.ProtoReflect()
	field := message.Descriptor().Fields().ByName("request_id")
	if field == nil || message.Get(field).String() != "" {
		return
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	message.Set(field, protoreflect.ValueOfString(id))
}

func transport(caFile, certFile, keyFile string) (grpc.DialOption, error) {
	if caFile == "" && certFile == "" {
		return grpc.WithInsecure(), nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(config)), nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: linkgateway-go [flags] VERB 'REQUEST JSON'   (VERB: delete-registration,"+
		" get-subscription-info, delete-subscription, delete-app-profile, get-profile-transaction)")
	flag.PrintDefaults()
	os.Exit(64)
}

func main() {
	target := flag.String("target", "127.0.0.1:50051", "the gateway, host:port")
	timeout := flag.Duration("timeout", 30*time.Second, "the call's deadline")
	caFile := flag.String("ca-file", "", "PEM roots: use TLS")
	certFile := flag.String("cert-file", "", "PEM client certificate (mTLS)")
	keyFile := flag.String("key-file", "", "PEM key of --cert-file")
	tokenFile := flag.String("token-file", "", "a file holding a bearer token")
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() != 2 {
		usage()
	}
	method, ok := rpcs[flag.Arg(0)]
	if !ok {
		usage()
	}
	text := []byte(flag.Arg(1))
	if flag.Arg(1) == "-" {
		var err error
		if text, err = io.ReadAll(os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(64)
		}
	}
	request := method.request()
	if err := protojson.Unmarshal(text, request); err != nil {
		fmt.Fprintln(os.Stderr, "the request is not valid JSON for", proto.MessageName(request), ":", err)
		os.Exit(64)
	}
	setRequestID(request)
	dial, err := transport(*caFile, *certFile, *keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(64)
	}
	conn, err := grpc.Dial(*target, dial)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(14)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *tokenFile != "" {
		token, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(64)
		}
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization",
			"Bearer "+strings.TrimSpace(strings.SplitN(string(token), "\n", 2)[0]))
	}
	response, err := method.call(ctx, conn, request)
	if err != nil {
		out, _ := json.Marshal(map[string]interface{}{"error": explain(err)})
		fmt.Println(string(out))
		os.Exit(int(status.Code(err)))
	}
	fmt.Println(protojson.Format(response))
}
