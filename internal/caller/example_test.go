package caller_test

import (
	"context"
	"fmt"

	"github.com/speke-go/keyprovider/internal/caller"
)

func Example() {
	ctx := caller.WithIdentity(context.Background(), caller.Identity{
		UserARN:   "arn:aws:sts::123456789012:assumed-role/MediaPackageRole/session",
		AccountID: "123456789012",
		RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
	})
	if id, ok := caller.FromContext(ctx); ok {
		fmt.Println(id.AccountID, id.RequestID)
	}
	_, ok := caller.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// 123456789012 c6af9ac6-7b61-11e6-9a41-93e8deadbeef
	// false
}
