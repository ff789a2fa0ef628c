package main

import (
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
)

// Metadata types of CDK annotations (Annotations.Of(c).AddError and
// AddWarning, which cdk-nag uses). The CLI refuses to deploy a stack that
// carries an error.
const (
	metadataError   = "aws:cdk:error"
	metadataWarning = "aws:cdk:warning"
)

// finding is one annotation: where, and its message.
type finding struct{ Path, Message string }

// findings lists the annotations of the given types on scope and every
// construct below it. Aspects (cdk-nag) add theirs during synthesis, so
// call it after the app or stack was synthesized.
func findings(scope constructs.IConstruct, types ...string) []finding {
	var out []finding
	for _, c := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		for _, m := range *c.Node().Metadata() {
			if m.Type != nil && slices.Contains(types, *m.Type) {
				out = append(out, finding{Path: *c.Node().Path(), Message: fmt.Sprint(m.Data)})
			}
		}
	}
	return out
}
