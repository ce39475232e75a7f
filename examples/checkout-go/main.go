// Command checkout-go is a checkout service's side of a WeChat Pay combined withholding order, written against the
// order workflow's public contract only (workflow type, task queue, workflow id, plain JSON input, Updates, Query):
// no code is shared with the TypeScript project.
//
//	checkout-go pay     '<order JSON>'   start, beginPayment, pay call (simulated: paid), markPaid
//	checkout-go timeout '<order JSON>'   start, beginPayment, pay call (simulated: no answer); after the deadline
//	                                     a second beginPayment and a late markPaid are both refused
//	checkout-go start   '<order JSON>'   start only
//
// Every mode then reads the status Query and waits for the workflow's result. The order JSON may be given as
// @file.json. Connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE
// (combine-papay).
//
// Output, one machine-readable line per step: STARTED|ALREADY_STARTED {json}, BEGIN_PAYMENT {json}, PAY_CALL {json},
// MARK_PAID {json}, REFUSED <update>: <reason>, PHASE <phase>, STATUS {json}, then RESULT {json} (exit 0) or
// FAILED <type>: <message> (exit 2).
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
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// WorkflowType is the order workflow's type name (contract).
const WorkflowType = "combinePapayOrderWorkflow"

// checkout drives one order's workflow.
type checkout struct {
	c         client.Client
	taskQueue string
}

func main() {
	if len(os.Args) != 3 || !strings.Contains("|pay|timeout|start|", "|"+os.Args[1]+"|") {
		fmt.Fprintln(os.Stderr, "usage: checkout-go pay|timeout|start '<order JSON>'|@order.json")
		os.Exit(64)
	}
	text := os.Args[2]
	if strings.HasPrefix(text, "@") {
		raw, err := os.ReadFile(text[1:])
		if err != nil {
			fatal(err)
		}
		text = string(raw)
	}
	// A plain map: the SDK's JSON converter sends it as the plain JSON object the workflow expects.
	var input map[string]any
	if err := json.Unmarshal([]byte(text), &input); err != nil {
		fatal(fmt.Errorf("the order JSON: %w", err))
	}

	c, err := client.Dial(client.Options{
		HostPort:  env("TEMPORAL_ADDRESS", "localhost:7233"),
		Namespace: env("TEMPORAL_NAMESPACE", "default"),
		// Keep the SDK's logs off the program's machine-readable stdout.
		Logger: log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		fatal(err)
	}
	code, err := (&checkout{c: c, taskQueue: env("TEMPORAL_TASK_QUEUE", "combine-papay")}).run(os.Args[1], input)
	c.Close()
	if err != nil {
		fatal(err)
	}
	os.Exit(code)
}

func (k *checkout) run(mode string, input map[string]any) (int, error) {
	ctx := context.Background()
	workflowID, err := k.start(ctx, input)
	if err != nil {
		return 1, err
	}
	switch mode {
	case "pay":
		ok, err := k.update(ctx, workflowID, "beginPayment", map[string]string{"attemptId": "attempt-1"})
		if err != nil {
			return 1, err
		}
		if ok {
			// The pay call (WeChat Pay's combined withholding API) is simulated: it answers paid.
			transactionID := fmt.Sprintf("42000000%d", time.Now().UnixMilli())
			emit("PAY_CALL", map[string]string{"answer": "SUCCESS", "transactionId": transactionID})
			if _, err := k.update(ctx, workflowID, "markPaid",
				map[string]string{"transactionId": transactionID, "source": "pay-response"}); err != nil {
				return 1, err
			}
		}
	case "timeout":
		ok, err := k.update(ctx, workflowID, "beginPayment", map[string]string{"attemptId": "attempt-1"})
		if err != nil {
			return 1, err
		}
		if ok {
			// The pay call's answer is lost: the checkout does not know whether money moved, so it does not call
			// markPaid. The workflow's deadline decides; it reconciles with WeChat Pay and reverses.
			emit("PAY_CALL", map[string]string{"answer": "TIMEOUT"})
			if err := k.awaitReversal(ctx, workflowID); err != nil {
				return 1, err
			}
			// A retry of the pay call now must not be sent, and a late confirmation cannot win over the reversal.
			again, err := k.update(ctx, workflowID, "beginPayment", map[string]string{"attemptId": "attempt-2"})
			if err != nil {
				return 1, err
			}
			if again {
				return 1, errors.New("beginPayment was accepted after the reversal began")
			}
			if _, err := k.update(ctx, workflowID, "markPaid", map[string]string{"source": "late-query"}); err != nil {
				return 1, err
			}
		}
	}
	k.status(ctx, workflowID)
	return k.result(ctx, workflowID)
}

// start starts the order's workflow, or joins the one already started for this order (idempotent start).
func (k *checkout) start(ctx context.Context, input map[string]any) (string, error) {
	workflowID := fmt.Sprintf("combine-papay-%v", input["combineOutTradeNo"])
	run, err := k.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflowID,
		TaskQueue:                                k.taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, WorkflowType, input)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		emit("ALREADY_STARTED", map[string]string{"workflowId": workflowID})
		return workflowID, nil
	case err != nil:
		return "", err
	}
	emit("STARTED", map[string]string{"workflowId": workflowID, "runId": run.GetRunID()})
	return workflowID, nil
}

// update sends beginPayment or markPaid and prints its answer. It returns false when the workflow refused it (its
// validator's reason is printed) or the order has already ended; an error only for anything else.
func (k *checkout) update(ctx context.Context, workflowID, name string, details map[string]string) (bool, error) {
	handle, err := k.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{details},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var answer map[string]any
	if err == nil {
		err = handle.Get(ctx, &answer)
	}
	var refusal *temporal.ApplicationError
	switch {
	case err == nil:
		emit(updateTag(name), answer)
		return true, nil
	case errors.As(err, &refusal):
		fmt.Printf("REFUSED %s: %s\n", name, refusal.Message())
		return false, nil
	}
	// Not a refusal: a finished workflow takes no Update (it has no pay call to announce or confirmation to take).
	desc, derr := k.c.DescribeWorkflowExecution(ctx, workflowID, "")
	if derr != nil || desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return false, err
	}
	status := strings.TrimPrefix(desc.WorkflowExecutionInfo.Status.String(), "WORKFLOW_EXECUTION_STATUS_")
	fmt.Printf("REFUSED %s: the order has ended (%s)\n", name, strings.ToUpper(status))
	return false, nil
}

// awaitReversal polls the status Query until the order leaves AWAITING_PAYMENT (its deadline passed).
func (k *checkout) awaitReversal(ctx context.Context, workflowID string) error {
	until := time.Now().Add(5 * time.Minute)
	for time.Now().Before(until) {
		var status struct{ Phase string }
		value, err := k.c.QueryWorkflow(ctx, workflowID, "", "status")
		if err != nil {
			return err
		}
		if err := value.Get(&status); err != nil {
			return err
		}
		if status.Phase != "AWAITING_PAYMENT" {
			fmt.Println("PHASE " + status.Phase)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the order did not leave AWAITING_PAYMENT within 5 minutes")
}

// status prints the status Query's answer.
func (k *checkout) status(ctx context.Context, workflowID string) {
	var status map[string]any
	value, err := k.c.QueryWorkflow(ctx, workflowID, "", "status")
	if err == nil {
		err = value.Get(&status)
	}
	if err != nil {
		// A workflow that failed at once (bad input) never installed its query handler.
		fmt.Println("STATUS_UNAVAILABLE " + err.Error())
		return
	}
	emit("STATUS", status)
}

// result waits for the workflow's result; a failed workflow (e.g. INVALID_ORDER_INPUT) prints its failure type and
// gives exit code 2.
func (k *checkout) result(ctx context.Context, workflowID string) (int, error) {
	var result map[string]any
	err := k.c.GetWorkflow(ctx, workflowID, "").Get(ctx, &result)
	var failure *temporal.ApplicationError
	switch {
	case err == nil:
		emit("RESULT", result)
		return 0, nil
	case errors.As(err, &failure):
		fmt.Printf("FAILED %s: %s\n", failure.Type(), failure.Message())
		return 2, nil
	}
	var execErr *temporal.WorkflowExecutionError
	if errors.As(err, &execErr) {
		fmt.Printf("FAILED %T: %v\n", errors.Unwrap(execErr), errors.Unwrap(execErr))
		return 2, nil
	}
	return 1, err
}

func updateTag(name string) string {
	if name == "beginPayment" {
		return "BEGIN_PAYMENT"
	}
	return "MARK_PAID"
}

func emit(tag string, value any) {
	line, err := json.Marshal(value)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("%s %s\n", tag, line)
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "checkout-go:", err)
	os.Exit(1)
}
