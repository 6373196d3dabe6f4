// Starts an unlink job and watches it to the end (see ../README.md).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"linkgateway.io/client"
	pb "linkgateway.io/client/linkgatewayv1"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: unlinksample TARGET REGISTRATION_ID SUBSCRIPTION_ID")
		os.Exit(64)
	}
	conn, err := client.Dial(client.Options{Target: os.Args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer conn.Close()
	unlink := pb.NewUnlinkServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	operation, err := unlink.StartUnlink(ctx, &pb.StartUnlinkRequest{
		RequestId: client.NewRequestID(),
		Targets: []*pb.UnlinkTarget{
			{Target: &pb.UnlinkTarget_SmsVoiceRegistration{
				SmsVoiceRegistration: &pb.SmsVoiceRegistrationKey{RegistrationId: os.Args[2]}}},
			{Target: &pb.UnlinkTarget_SellingPartnerSubscription{
				SellingPartnerSubscription: &pb.SellingPartnerSubscriptionKey{
					NotificationType: "ANY_OFFER_CHANGED", SubscriptionId: os.Args[3]}}},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, client.Explain(err))
		os.Exit(2)
	}
	stream, err := unlink.WatchUnlink(ctx, &pb.WatchUnlinkRequest{Name: operation.Name})
	var last *pb.UnlinkMetadata
	for err == nil {
		var metadata *pb.UnlinkMetadata
		if metadata, err = stream.Recv(); err == nil {
			last = metadata
			states := []string{}
			for _, step := range metadata.Steps {
				states = append(states, step.State.String())
			}
			fmt.Println(metadata.Name, strings.Join(states, " "))
		}
	}
	if err != io.EOF {
		fmt.Fprintln(os.Stderr, client.Explain(err))
		os.Exit(2)
	}
	fmt.Println("done")
	for _, step := range last.GetSteps() {
		if step.State != pb.UnlinkStepState_UNLINK_STEP_STATE_SUCCEEDED &&
			step.State != pb.UnlinkStepState_UNLINK_STEP_STATE_ALREADY_GONE {
			os.Exit(1)
		}
	}
	if last == nil {
		os.Exit(1)
	}
}
