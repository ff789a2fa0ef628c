package dynamokeys_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
)

// fakeDB is an in-memory table with the conditional-write semantics the
// store relies on, plus knobs to force the branches a real table reaches
// only under races and faults.
type fakeDB struct {
	mu    sync.Mutex
	items map[[2]string]map[string]types.AttributeValue

	// hideFromBatch makes BatchGetItem miss these (contentId, kid) items,
	// as if another writer created them just after our read.
	hideFromBatch map[[2]string]bool
	// noOldItem drops Item from ConditionalCheckFailedException, as
	// emulators that ignore ReturnValuesOnConditionCheckFailure do.
	noOldItem bool
	// unprocessedRounds makes that many BatchGetItem calls return every
	// key as unprocessed.
	unprocessedRounds int
	// putErr, if set, is returned by PutItem instead of writing.
	putErr func(item map[string]types.AttributeValue) error

	batchCalls, putCalls, getCalls int
	batchSizes                     []int
}

func newFakeDB() *fakeDB {
	return &fakeDB{items: map[[2]string]map[string]types.AttributeValue{}, hideFromBatch: map[[2]string]bool{}}
}

func pk(item map[string]types.AttributeValue) [2]string {
	c, _ := item[dynamokeys.AttrContentID].(*types.AttributeValueMemberS)
	k, _ := item[dynamokeys.AttrKID].(*types.AttributeValueMemberS)
	if c == nil || k == nil {
		panic("fake: item without key attributes")
	}
	return [2]string{c.Value, k.Value}
}

func (f *fakeDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batchCalls++
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		f.batchSizes = append(f.batchSizes, len(ka.Keys))
		if len(ka.Keys) > 100 {
			return nil, fmt.Errorf("fake: %d keys in one BatchGetItem", len(ka.Keys))
		}
		if !aws.ToBool(ka.ConsistentRead) {
			return nil, fmt.Errorf("fake: BatchGetItem without ConsistentRead")
		}
		seen := map[[2]string]bool{}
		for _, k := range ka.Keys {
			if seen[pk(k)] {
				return nil, fmt.Errorf("fake: duplicate key in BatchGetItem")
			}
			seen[pk(k)] = true
		}
		if f.unprocessedRounds > 0 {
			f.unprocessedRounds--
			out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: ka}
			continue
		}
		for _, k := range ka.Keys {
			if it, ok := f.items[pk(k)]; ok && !f.hideFromBatch[pk(k)] {
				out.Responses[table] = append(out.Responses[table], it)
			}
		}
	}
	return out, nil
}

func (f *fakeDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getCalls++
	if !aws.ToBool(in.ConsistentRead) {
		return nil, fmt.Errorf("fake: GetItem without ConsistentRead")
	}
	return &dynamodb.GetItemOutput{Item: f.items[pk(in.Key)]}, nil
}

func (f *fakeDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putCalls++
	if f.putErr != nil {
		if err := f.putErr(in.Item); err != nil {
			return nil, err
		}
	}
	if aws.ToString(in.ConditionExpression) != "attribute_not_exists(#c)" || in.ExpressionAttributeNames["#c"] != dynamokeys.AttrContentID {
		return nil, fmt.Errorf("fake: unexpected condition %q", aws.ToString(in.ConditionExpression))
	}
	if old, ok := f.items[pk(in.Item)]; ok {
		e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		if !f.noOldItem && in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld {
			e.Item = old
		}
		return nil, e
	}
	f.items[pk(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDB) put(contentID, kid string, key types.AttributeValue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it := map[string]types.AttributeValue{
		dynamokeys.AttrContentID: &types.AttributeValueMemberS{Value: contentID},
		dynamokeys.AttrKID:       &types.AttributeValueMemberS{Value: kid},
	}
	if key != nil {
		it[dynamokeys.AttrKey] = key
	}
	f.items[[2]string{contentID, kid}] = it
}
