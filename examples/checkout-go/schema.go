package checkout

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// OrderInputSchema is the JSON Schema (draft 2020-12) of the order input, a verbatim copy of the project's
// schema/order-input.schema.json.
//
//go:embed order-input.schema.json
var OrderInputSchema []byte

const schemaURL = "https://combine-papay-timeout/order-input.schema.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(OrderInputSchema))
	if err != nil {
		return nil, fmt.Errorf("order-input.schema.json: %w", err)
	}
	compiler := jsonschema.NewCompiler()
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return compiler.Compile(schemaURL)
})

// ValidateOrderJSON checks an order input (raw JSON) against the schema. It returns *InvalidInputError naming each
// offending field by JSON pointer, or nil.
func ValidateOrderJSON(data []byte) error {
	schema, err := compiled()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &InvalidInputError{Issues: []InputIssue{{Pointer: "/", Message: "not JSON: " + err.Error()}}}
	}
	err = schema.Validate(doc)
	var invalid *jsonschema.ValidationError
	if !errors.As(err, &invalid) {
		return err
	}
	return &InvalidInputError{Issues: issuesOf(invalid)}
}

// ValidateOrderInput checks a typed order input against the schema, as it will be sent.
func ValidateOrderInput(input OrderInput) error {
	data, err := json.Marshal(input)
	if err != nil {
		return err
	}
	return ValidateOrderJSON(data)
}

// ParseOrderInput validates raw JSON against the schema, then decodes it.
func ParseOrderInput(data []byte) (OrderInput, error) {
	var input OrderInput
	if err := ValidateOrderJSON(data); err != nil {
		return input, err
	}
	err := json.Unmarshal(data, &input)
	return input, err
}

// issuesOf flattens the validator's error tree to its leaves: one issue per offending value and rule.
func issuesOf(root *jsonschema.ValidationError) []InputIssue {
	var issues []InputIssue
	for _, unit := range root.BasicOutput().Errors {
		if unit.Error == nil {
			continue
		}
		if _, group := unit.Error.Kind.(*kind.Group); group {
			continue // "validation failed": its causes follow
		}
		pointer := unit.InstanceLocation
		if pointer == "" {
			pointer = "/"
		}
		issues = append(issues, InputIssue{Pointer: pointer, Message: unit.Error.String()})
	}
	if len(issues) == 0 {
		issues = append(issues, InputIssue{Pointer: "/", Message: root.Error()})
	}
	return issues
}
