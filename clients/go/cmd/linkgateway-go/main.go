// linkgateway-go calls any linkgateway RPC and prints the answer as JSON.
//
//	linkgateway-go [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
//	               [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']
//
// The contract every linkgateway CLI keeps (docs/clients/index.md): the
// request is proto3 JSON ("-" reads standard input; default {}); the answer
// is one line of proto3 JSON, one line per message for watch-unlink; a failed
// call prints {"error": {...}} and exits with its gRPC code; a usage error
// exits 64.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/longrunning"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoimpl"

	"linkgateway.io/client"
	pb "linkgateway.io/client/linkgatewayv1"
)

const exUsage = 64

// A verb: a fresh request message and how to send it; the answers go to
// emit (one for a unary call, each message of a stream).
type verb struct {
	request func() proto.Message
	call    func(ctx context.Context, conn *grpc.ClientConn, request proto.Message, emit func(proto.Message)) error
}

// unary adapts a unary method. Debian's genproto (longrunning) predates the
// protobuf APIv2 messages: protoimpl converts its messages both ways.
func unary[Req any, Resp any](
	send func(conn *grpc.ClientConn, ctx context.Context, request Req) (Resp, error)) func(
	context.Context, *grpc.ClientConn, proto.Message, func(proto.Message)) error {
	return func(ctx context.Context, conn *grpc.ClientConn, request proto.Message, emit func(proto.Message)) error {
		response, err := send(conn, ctx, protoimpl.X.ProtoMessageV1Of(request).(Req))
		if err == nil {
			emit(protoimpl.X.ProtoMessageV2Of(response))
		}
		return err
	}
}

// v2 is a fresh message as an APIv2 message.
func v2(message interface{}) func() proto.Message {
	return func() proto.Message {
		return protoimpl.X.ProtoMessageV2Of(reflect.New(reflect.TypeOf(message).Elem()).Interface())
	}
}

var verbs = map[string]verb{
	"delete-registration": {v2(&pb.DeleteRegistrationRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.DeleteRegistrationRequest) (*pb.DeleteRegistrationResponse, error) {
			return pb.NewRegistrationServiceClient(c).DeleteRegistration(ctx, r)
		})},
	"get-subscription-info": {v2(&pb.GetSubscriptionInfoRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.GetSubscriptionInfoRequest) (*pb.SubscriptionInfo, error) {
			return pb.NewSubscriptionServiceClient(c).GetSubscriptionInfo(ctx, r)
		})},
	"delete-subscription": {v2(&pb.DeleteSubscriptionRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.DeleteSubscriptionRequest) (*pb.DeleteSubscriptionResponse, error) {
			return pb.NewSubscriptionServiceClient(c).DeleteSubscription(ctx, r)
		})},
	"delete-app-profile": {v2(&pb.DeleteAppProfileRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.DeleteAppProfileRequest) (*pb.DeleteAppProfileResponse, error) {
			return pb.NewAppProfileServiceClient(c).DeleteAppProfile(ctx, r)
		})},
	"get-profile-transaction": {v2(&pb.GetProfileTransactionRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.GetProfileTransactionRequest) (*pb.ProfileTransaction, error) {
			return pb.NewAppProfileServiceClient(c).GetProfileTransaction(ctx, r)
		})},
	"start-unlink": {v2(&pb.StartUnlinkRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *pb.StartUnlinkRequest) (*longrunning.Operation, error) {
			return pb.NewUnlinkServiceClient(c).StartUnlink(ctx, r)
		})},
	"watch-unlink": {v2(&pb.WatchUnlinkRequest{}),
		func(ctx context.Context, c *grpc.ClientConn, r proto.Message, emit func(proto.Message)) error {
			stream, err := pb.NewUnlinkServiceClient(c).WatchUnlink(ctx, r.(*pb.WatchUnlinkRequest))
			if err != nil {
				return err
			}
			for {
				metadata, err := stream.Recv()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				emit(metadata)
			}
		}},
	"get-operation": {v2(&longrunning.GetOperationRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *longrunning.GetOperationRequest) (*longrunning.Operation, error) {
			return longrunning.NewOperationsClient(c).GetOperation(ctx, r)
		})},
	"list-operations": {v2(&longrunning.ListOperationsRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *longrunning.ListOperationsRequest) (*longrunning.ListOperationsResponse, error) {
			return longrunning.NewOperationsClient(c).ListOperations(ctx, r)
		})},
	"cancel-operation": {v2(&longrunning.CancelOperationRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *longrunning.CancelOperationRequest) (interface{}, error) {
			return longrunning.NewOperationsClient(c).CancelOperation(ctx, r)
		})},
	"wait-operation": {v2(&longrunning.WaitOperationRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *longrunning.WaitOperationRequest) (*longrunning.Operation, error) {
			return longrunning.NewOperationsClient(c).WaitOperation(ctx, r)
		})},
	"delete-operation": {v2(&longrunning.DeleteOperationRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *longrunning.DeleteOperationRequest) (interface{}, error) {
			return longrunning.NewOperationsClient(c).DeleteOperation(ctx, r)
		})},
	"health-check": {v2(&healthpb.HealthCheckRequest{}),
		unary(func(c *grpc.ClientConn, ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
			return healthpb.NewHealthClient(c).Check(ctx, r)
		})},
}

var verbOrder = []string{"delete-registration", "get-subscription-info", "delete-subscription",
	"delete-app-profile", "get-profile-transaction", "start-unlink", "watch-unlink",
	"get-operation", "list-operations", "cancel-operation", "wait-operation", "delete-operation",
	"health-check"}

const help = `linkgateway-go [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
                   [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']
`

// A number of seconds, or a number with one unit: 5, 5s, 2.5s, 500ms, 1m, 1h.
var durationPattern = regexp.MustCompile(`^(\d+(?:\.\d+)?)(ms|s|m|h)?$`)
var unitSeconds = map[string]float64{"": 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600}

func parseDuration(text string) (time.Duration, error) {
	match := durationPattern.FindStringSubmatch(text)
	if match == nil {
		return 0, fmt.Errorf("--timeout %s: not a duration (e.g. 30, 30s, 500ms, 2m)", text)
	}
	number, _ := strconv.ParseFloat(match[1], 64)
	if number <= 0 {
		return 0, fmt.Errorf("--timeout %s: not a duration (e.g. 30, 30s, 500ms, 2m)", text)
	}
	return time.Duration(number * unitSeconds[match[2]] * float64(time.Second)), nil
}

// parseArgs takes --flag VALUE or --flag=VALUE, then VERB and an optional request.
func parseArgs(args []string) (map[string]string, []string, error) {
	flags := map[string]string{"--target": "127.0.0.1:50051", "--timeout": "30"}
	known := map[string]bool{"--target": true, "--timeout": true, "--ca-file": true,
		"--cert-file": true, "--key-file": true, "--token-file": true}
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(arg, "=")
		if !known[name] {
			return nil, nil, fmt.Errorf("unknown flag %s", name)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("%s needs a value", name)
			}
			i++
			value = args[i]
		}
		flags[name] = value
	}
	if len(positional) < 1 || len(positional) > 2 {
		return nil, nil, fmt.Errorf("expected VERB and an optional REQUEST JSON")
	}
	if _, ok := verbs[positional[0]]; !ok {
		return nil, nil, fmt.Errorf("unknown verb %s", positional[0])
	}
	_, cert := flags["--cert-file"]
	_, key := flags["--key-file"]
	if cert != key {
		return nil, nil, fmt.Errorf("--cert-file and --key-file go together")
	}
	return flags, positional, nil
}

// printJSON writes one line of proto3 JSON, the same bytes in every
// language's CLI (protojson's output is deliberately unstable in its spaces).
func printJSON(message proto.Message) {
	text, err := protojson.Marshal(message)
	if err != nil {
		fmt.Fprintln(os.Stderr, "linkgateway-go:", err)
		os.Exit(1)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, text)
	fmt.Println(compact.String())
}

// setRequestID gives a delete or an unlink start without a request_id a
// fresh one (AIP-155): a retry is then answered from the gateway's record.
func setRequestID(request proto.Message) {
	message := request.ProtoReflect()
	field := message.Descriptor().Fields().ByName("request_id")
	if field != nil && message.Get(field).String() == "" {
		message.Set(field, protoreflect.ValueOfString(client.NewRequestID()))
	}
}

func usageError(err error) int {
	fmt.Fprintf(os.Stderr, "linkgateway-go: %v\n%sVERB: %s\n", err, help, strings.Join(verbOrder, ", "))
	return exUsage
}

func run(args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Printf("%sVERB: %s\n", help, strings.Join(verbOrder, ", "))
		return 0
	}
	flags, positional, err := parseArgs(args)
	if err != nil {
		return usageError(err)
	}
	timeout, err := parseDuration(flags["--timeout"])
	if err != nil {
		return usageError(err)
	}
	v := verbs[positional[0]]
	text := []byte("{}")
	if len(positional) == 2 {
		text = []byte(positional[1])
	}
	if string(text) == "-" {
		if text, err = io.ReadAll(os.Stdin); err != nil {
			return usageError(err)
		}
	}
	request := v.request()
	if err := protojson.Unmarshal(text, request); err != nil {
		fmt.Fprintf(os.Stderr, "linkgateway-go: the request is not valid JSON for %s: %v\n",
			proto.MessageName(request), err)
		return exUsage
	}
	setRequestID(request)
	options := client.Options{Target: flags["--target"], CAFile: flags["--ca-file"],
		CertFile: flags["--cert-file"], KeyFile: flags["--key-file"]}
	if path, ok := flags["--token-file"]; ok {
		token, err := os.ReadFile(path)
		if err != nil {
			return usageError(err)
		}
		options.BearerToken = strings.TrimSpace(strings.SplitN(string(token), "\n", 2)[0])
	}
	conn, err := client.Dial(options)
	if err != nil {
		return usageError(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := v.call(ctx, conn, request, printJSON); err != nil {
		details := client.Explain(err)
		fmt.Printf("{\"error\":%s}\n", details)
		return int(details.Code)
	}
	return 0
}

func main() {
	os.Exit(run(os.Args[1:]))
}
