package speke_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

func ExampleService_Handle() {
	src, _ := keys.NewLocalFromSeed(bytes.Repeat([]byte{1}, keys.SeedSize))
	svc := speke.New(src, drm.NewDefaultRegistry(drm.Config{}))

	_, err := svc.Handle(context.Background(), speke.Request{
		Version: "2.0", HasVersion: true,
		Body: []byte(`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" version="2.3"/>`),
	})
	var re *speke.RequestError
	fmt.Println(errors.Is(err, speke.ErrRequest), errors.As(err, &re) && re.Message == "Missing CPIX@contentId")

	_, err = svc.Handle(context.Background(), speke.Request{Version: "3.0", HasVersion: true})
	fmt.Println(err.(*speke.RequestError).Message)
	// Output:
	// true true
	// Unsupported SPEKE version
}
