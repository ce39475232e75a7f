// Package checkout is a checkout service's typed client of the combined-order workflow (WeChat Pay combined
// withholding with a payment deadline), written against the workflow's public contract only: its type, task queue,
// workflow id, plain JSON input, Updates beginPayment and markPaid, Query status and Signal cancelOrder.
//
// Connect with Dial (the standard Temporal environment configuration, mTLS included), then:
//
//	started, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "a1"})
//	// err == nil: send the pay call. errors.Is(err, checkout.ErrBeginPaymentRefused) or
//	// errors.Is(err, checkout.ErrOrderNotAnswering): do NOT send it.
//	paid, err := c.MarkPaid(ctx, input.CombineOutTradeNo, checkout.MarkPaidDetails{TransactionID: id})
//
// Every call runs under a deadline (DefaultCallTimeout, ORDER_CALL_TIMEOUT, WithTimeout or the context's own).
// Inputs are validated against the embedded JSON Schema (OrderInputSchema) before anything is started.
// VerifyRequest is the order service's check of the signed requests the worker sends it.
package checkout
