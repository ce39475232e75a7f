// Command checkout-go is a checkout service's side of a WeChat Pay combined withholding order, built on the typed
// client of package checkout (the module root): the order workflow's public contract only, no code shared with
// the TypeScript project.
//
//	checkout-go pay             '<order JSON>'  Update-With-Start (start + beginPayment), pay call (simulated:
//	                                            paid), markPaid
//	checkout-go timeout         '<order JSON>'  Update-With-Start, pay call (simulated: no answer); after the
//	                                            deadline a second beginPayment and a late markPaid are refused
//	checkout-go start           '<order JSON>'  start only (the input is validated against the schema first)
//	checkout-go start-unchecked '<order JSON>'  start only, sending the input unvalidated (the workflow refuses it)
//	checkout-go verify compensation|confirmation requests.json
//	                                            verify order-service requests as that endpoint would (secrets:
//	                                            COMPENSATION_HMAC_SECRET, whsec_... space-separated)
//
// The order JSON may be given as @file.json. Every order mode then reads the status Query and waits for the
// workflow's result. Connection: the Temporal environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_TLS_*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE); TEMPORAL_TASK_QUEUE (combine-papay); ORDER_CALL_TIMEOUT.
//
// Output, one machine-readable line per step: STARTED|ALREADY_STARTED {json}, BEGIN_PAYMENT {json},
// PAY_CALL {json}, MARK_PAID {json}, REFUSED <update>: <reason>, PHASE <phase>, STATUS {json}, then RESULT {json}
// (exit 0) or FAILED <type>: <message> (exit 2). A client-side schema refusal prints INVALID_INPUT <message>
// (exit 3); an order running with another input prints INPUT_CONFLICT <fields>: <message> (exit 5, no pay call
// sent). verify prints VERIFIED <webhook-id> or REFUSED_REQUEST <CODE>: <message> per request (exit 0). Usage
// errors exit 64, anything else 1 (message on stderr).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	checkout "example.com/checkout-go"
	"go.temporal.io/sdk/log"
)

const usage = "usage: checkout-go pay|timeout|start|start-unchecked '<order JSON>'|@order.json\n" +
	"       checkout-go verify compensation|confirmation requests.json"

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitFailed   = 2
	exitInvalid  = 3
	exitConflict = 5
	exitUsage    = 64
	modesOfOrder = "|pay|timeout|start|start-unchecked|"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes one command line and returns the exit code.
func run(args []string) int {
	if len(args) == 3 && args[0] == "verify" {
		return verifyRequests(args[1], strings.TrimPrefix(args[2], "@"))
	}
	if len(args) != 2 || !strings.Contains(modesOfOrder, "|"+args[0]+"|") {
		fmt.Fprintln(os.Stderr, usage)
		return exitUsage
	}
	text, err := orderText(args[1])
	if err != nil {
		return fail(err)
	}
	var input checkout.OrderInput
	if args[0] != "start-unchecked" {
		// Validated before connecting: a refused input starts nothing and needs no server.
		if input, err = checkout.ParseOrderInput(text); err != nil {
			return fail(err)
		}
	}
	ctx := context.Background()
	c, err := checkout.Dial(ctx, checkout.Options{
		// Keep the SDK's logs off the program's machine-readable stdout (and off stderr).
		Logger: log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	code, err := (&session{c: c}).run(ctx, args[0], text, input)
	if err != nil {
		return fail(err)
	}
	return code
}

// orderText is the order JSON: the argument itself, or the file it names after "@".
func orderText(arg string) ([]byte, error) {
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		return os.ReadFile(name)
	}
	return []byte(arg), nil
}

// fail prints err on stderr; an input the schema refused prints INVALID_INPUT on stdout and exits 3, an order running
// with another input INPUT_CONFLICT (exit 5).
func fail(err error) int {
	var invalid *checkout.InvalidInputError
	if errors.As(err, &invalid) {
		fmt.Println("INVALID_INPUT " + invalid.Error())
		return exitInvalid
	}
	var conflict *checkout.OrderInputConflictError
	if errors.As(err, &conflict) {
		fmt.Println("INPUT_CONFLICT " + strings.Join(conflict.Fields, ",") + ": " + conflict.Error())
		return exitConflict
	}
	fmt.Fprintln(os.Stderr, "checkout-go:", err)
	return exitError
}

// emit prints one protocol line: the tag and value as JSON (raw JSON is printed as it came).
func emit(tag string, value any) {
	line, err := json.Marshal(value)
	if err != nil {
		line = []byte(fmt.Sprintf("%q", err.Error()))
	}
	fmt.Printf("%s %s\n", tag, line)
}
