package dynamokeys

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/speke-go/keyprovider/internal/keys/internal/awserr"
)

// TableDescriber is the client method CheckTable needs (*dynamodb.Client
// has it; IAM action dynamodb:DescribeTable, which CDK's grantReadWriteData
// includes).
type TableDescriber interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// CheckTable verifies at startup that table exists and has the contract's
// key schema, so a wrong TABLE_NAME, missing permission or a table built
// with other keys stops the service with a clear message instead of failing
// every request. It makes one DescribeTable call under timeout.
func CheckTable(ctx context.Context, api TableDescriber, table string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return awserr.WrapWithMessage("dynamokeys", "DescribeTable", fmt.Sprintf("table %q", table), err)
	}
	if out.Table == nil {
		return fmt.Errorf("dynamokeys: DescribeTable %q returned no table", table)
	}
	attrTypes := map[string]types.ScalarAttributeType{}
	for _, d := range out.Table.AttributeDefinitions {
		attrTypes[aws.ToString(d.AttributeName)] = d.AttributeType
	}
	var hash, rng string
	for _, k := range out.Table.KeySchema {
		switch k.KeyType {
		case types.KeyTypeHash:
			hash = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			rng = aws.ToString(k.AttributeName)
		}
	}
	if hash != AttrContentID || rng != AttrKID ||
		attrTypes[AttrContentID] != types.ScalarAttributeTypeS || attrTypes[AttrKID] != types.ScalarAttributeTypeS {
		return fmt.Errorf("dynamokeys: table %q has key schema (partition %q, sort %q); want partition key %s (S) and sort key %s (S)",
			table, hash, rng, AttrContentID, AttrKID)
	}
	return nil
}
