// Package client is linkgateway's Go client library: a connection to the
// gateway (plaintext, TLS, mTLS, a bearer token), readable error details, and
// request ids for safe retries. The API's messages and stubs are in
// linkgateway.io/client/linkgatewayv1; unlink jobs' google.longrunning
// Operations client is genproto's longrunning.NewOperationsClient.
//
//	conn, err := client.Dial(client.Options{Target: "127.0.0.1:50051"})
//	unlink := linkgatewayv1.NewUnlinkServiceClient(conn)
//	op, err := unlink.StartUnlink(ctx, &linkgatewayv1.StartUnlinkRequest{...})
//	if err != nil { fmt.Println(client.Explain(err)) }
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Options say how to reach the gateway.
type Options struct {
	// host:port, or any gRPC target ("dns:///linkgateway.svc:50051").
	Target string
	// TLS when CAFile or CertFile is set: CAFile (PEM) replaces the system
	// roots; CertFile and KeyFile (PEM) are the client's for mTLS.
	CAFile, CertFile, KeyFile string
	// Sent as `authorization: Bearer <token>` with every call.
	BearerToken string
}

type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }

// Dial opens a connection as the options say (it connects lazily).
func Dial(options Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	dial := append([]grpc.DialOption{}, extra...)
	secure := options.CAFile != "" || options.CertFile != ""
	if !secure {
		dial = append(dial, grpc.WithInsecure())
	} else {
		config := &tls.Config{MinVersion: tls.VersionTLS12}
		if options.CAFile != "" {
			pem, err := os.ReadFile(options.CAFile)
			if err != nil {
				return nil, err
			}
			config.RootCAs = x509.NewCertPool()
			if !config.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s holds no PEM certificate", options.CAFile)
			}
		}
		if options.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(options.CertFile, options.KeyFile)
			if err != nil {
				return nil, err
			}
			config.Certificates = []tls.Certificate{pair}
		}
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	}
	if options.BearerToken != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{options.BearerToken, secure}))
	}
	return grpc.Dial(options.Target, dial...)
}

// NewRequestID is a fresh request_id (a version 4 UUID) for one logical
// delete or unlink start: sent again on a retry, it is answered from the
// gateway's record instead of deleting twice (AIP-155).
func NewRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// The canonical names of gRPC codes, as every language prints them.
var codeNames = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
	"DATA_LOSS", "UNAUTHENTICATED"}

// ErrorDetails is a failed call's status with its google.rpc details.
type ErrorDetails struct {
	Code            uint32
	Message         string
	ErrorInfo       *errdetails.ErrorInfo  // reason, domain, metadata
	RetryDelay      *time.Duration         // RetryInfo: when to try again
	FieldViolations []*errdetails.BadRequest_FieldViolation
}

// CodeName is the code's canonical name, e.g. "NOT_FOUND".
func (e ErrorDetails) CodeName() string {
	if int(e.Code) < len(codeNames) {
		return codeNames[e.Code]
	}
	return fmt.Sprint(e.Code)
}

// UpstreamRequestID is the provider's request id, for its support.
func (e ErrorDetails) UpstreamRequestID() string {
	return e.ErrorInfo.GetMetadata()["upstreamRequestId"]
}

// Explain reads the details a failed call carried (grpc-status-details-bin).
func Explain(err error) ErrorDetails {
	s := status.Convert(err)
	out := ErrorDetails{Code: uint32(s.Code()), Message: s.Message()}
	for _, detail := range s.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			out.ErrorInfo = d
		case *errdetails.RetryInfo:
			delay := d.RetryDelay.AsDuration()
			out.RetryDelay = &delay
		case *errdetails.BadRequest:
			out.FieldViolations = d.FieldViolations
		}
	}
	return out
}

// MarshalJSON writes the CLI contract's error object: code, message, then
// reason, domain, metadata (keys sorted), upstreamRequestId,
// retryDelaySeconds and fieldViolations when present.
func (e ErrorDetails) MarshalJSON() ([]byte, error) {
	var out bytes.Buffer
	field := func(name string, value interface{}) {
		if out.Len() > 0 {
			out.WriteByte(',')
		}
		var text bytes.Buffer
		encoder := json.NewEncoder(&text)
		encoder.SetEscapeHTML(false)
		_ = encoder.Encode(value)
		fmt.Fprintf(&out, "%q:%s", name, strings.TrimSuffix(text.String(), "\n"))
	}
	field("code", e.CodeName())
	field("message", e.Message)
	if e.ErrorInfo != nil {
		field("reason", e.ErrorInfo.Reason)
		field("domain", e.ErrorInfo.Domain)
		metadata := map[string]string{} // {} rather than null when empty
		for k, v := range e.ErrorInfo.Metadata {
			metadata[k] = v
		}
		field("metadata", metadata) // encoding/json sorts map keys
		if id := e.UpstreamRequestID(); id != "" {
			field("upstreamRequestId", id)
		}
	}
	if e.RetryDelay != nil {
		field("retryDelaySeconds", e.RetryDelay.Seconds())
	}
	if e.FieldViolations != nil {
		type violation struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		}
		violations := []violation{}
		for _, v := range e.FieldViolations {
			violations = append(violations, violation{v.Field, v.Description})
		}
		field("fieldViolations", violations)
	}
	return []byte("{" + out.String() + "}"), nil
}

// String is the JSON form.
func (e ErrorDetails) String() string {
	text, _ := e.MarshalJSON()
	return string(text)
}
