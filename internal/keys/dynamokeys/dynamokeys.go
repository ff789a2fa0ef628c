// Package dynamokeys is the keys.Source that keeps random content keys in a
// DynamoDB table (KEY_SOURCE=dynamodb).
//
// # Table contract
//
// Operators and outside tools rely on this shape; it does not change:
//
//   - partition key contentId (String): the CPIX content ID as received;
//   - sort key kid (String): the KID as a lowercase 36-character UUID;
//   - key (Binary): the 16-byte content key.
//
// The store also writes createdAt (String, RFC 3339 UTC) and createdBy
// (String, which deployment generated the key) for audit. They are
// informational: an item that has only the three contract attributes,
// written by an operator beforehand, is served as it is.
//
// # Guarantees
//
//   - One consistent BatchGetItem per request (per 100 distinct KIDs) reads
//     every key that exists; a request whose keys all exist costs one call.
//   - Lookup (the players' path) makes only those reads: it never writes,
//     and reports KIDs without an item as keys.NotFoundError. A read-only
//     IAM role (dynamodb:BatchGetItem) suffices for it.
//   - A missing key is generated with crypto/rand and written with a
//     conditional PutItem (attribute_not_exists): the first writer wins, and
//     every caller that lost the race, in this process or any other, returns
//     the winner's key, never its own.
//   - A key is returned only after DynamoDB has confirmed the write that
//     holds it, so every key handed out can be read back later.
//   - Any failure (network, throttling, deadline, a stored item whose key is
//     not 16 bytes) fails the whole request with an error wrapping
//     keys.ErrUnavailable; no partial result is returned.
//   - Every AWS call runs under a deadline derived from the request context,
//     and the whole request under an overall budget.
//
// # Threat model
//
// The table holds the keys in the clear (protected by DynamoDB encryption at
// rest and IAM), so read access to the table is read access to the media.
// Error strings never contain key bytes: AWS error messages, which could
// echo a request item, are reduced to their error code.
package dynamokeys

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/internal/awserr"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Attribute names of the table contract.
const (
	AttrContentID = "contentId"
	AttrKID       = "kid"
	AttrKey       = "key"
	AttrCreatedAt = "createdAt"
	AttrCreatedBy = "createdBy"
)

// maxBatchGet is DynamoDB's limit on keys per BatchGetItem call.
const maxBatchGet = 100

// API is the part of the DynamoDB client the store uses; *dynamodb.Client
// implements it, and unit tests substitute fakes.
type API interface {
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// CallTimeout bounds one AWS call including the SDK's own retries.
	// Default 3 s.
	CallTimeout time.Duration
	// Timeout bounds a whole Keys call. Default 10 s, well inside API
	// Gateway's 29 s integration timeout.
	Timeout time.Duration
	// UnprocessedRetries is how many times keys that BatchGetItem left
	// unprocessed (throttling) are asked for again before giving up.
	// Default 3; a negative value means no retry.
	UnprocessedRetries int
	// Parallel caps concurrent PutItem calls for one request. Default 8.
	Parallel int
	// CreatedBy is stored in createdBy on items this store creates.
	// Default "speke-go".
	CreatedBy string
	// Now is the clock for createdAt. Default time.Now.
	Now func() time.Time
}

// Store is a keys.Source over a DynamoDB table. It is safe for concurrent
// use; it holds no per-request state and no cache, because the table is the
// only place two Lambda instances can agree on a key.
type Store struct {
	api   API
	table string
	opt   Options
}

var _ keys.Source = (*Store)(nil)

// New returns a Store over table. It makes no AWS call; use Check to verify
// the table at startup.
func New(api API, table string, opt Options) (*Store, error) {
	if api == nil {
		return nil, errors.New("dynamokeys: nil DynamoDB client")
	}
	if table == "" {
		return nil, errors.New("dynamokeys: empty table name")
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 3 * time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.UnprocessedRetries == 0 {
		opt.UnprocessedRetries = 3
	} else if opt.UnprocessedRetries < 0 {
		opt.UnprocessedRetries = 0
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 8
	}
	if opt.CreatedBy == "" {
		opt.CreatedBy = "speke-go"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Store{api: api, table: table, opt: opt}, nil
}

// Keys implements keys.Source.
func (s *Store) Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error) {
	return s.get(ctx, contentID, kids, true)
}

// Lookup implements keys.Source. It only reads (one consistent
// BatchGetItem per 100 distinct KIDs) and never writes: KIDs without an
// item give a *keys.NotFoundError.
func (s *Store) Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error) {
	return s.get(ctx, contentID, kids, false)
}

// get reads the keys of kids and, if create, creates the missing ones.
func (s *Store) get(ctx context.Context, contentID string, kids []uuid.UUID, create bool) ([]keys.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", keys.ErrUnavailable, err)
	}
	if len(kids) == 0 {
		return []keys.Key{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	found, missing, err := s.read(ctx, contentID, kids)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		if !create {
			return nil, fmt.Errorf("dynamokeys: content %q: %w", contentID, &keys.NotFoundError{KIDs: missing})
		}
		created, err := s.createAll(ctx, contentID, missing)
		if err != nil {
			return nil, err
		}
		for i, k := range missing {
			found[k] = created[i]
		}
	}
	out := make([]keys.Key, len(kids))
	for i, k := range kids {
		out[i] = found[k]
	}
	return out, nil
}

// read fetches the stored keys of kids. missing lists the distinct KIDs
// without an item, in request order.
func (s *Store) read(ctx context.Context, contentID string, kids []uuid.UUID) (found map[uuid.UUID]keys.Key, missing []uuid.UUID, err error) {
	// DynamoDB rejects a BatchGetItem that names one item twice, and one
	// KID must get one key however often it is asked for.
	unique := make([]uuid.UUID, 0, len(kids))
	seen := make(map[uuid.UUID]bool, len(kids))
	for _, k := range kids {
		if !seen[k] {
			seen[k] = true
			unique = append(unique, k)
		}
	}
	found = make(map[uuid.UUID]keys.Key, len(unique))
	for start := 0; start < len(unique); start += maxBatchGet {
		chunk := unique[start:min(start+maxBatchGet, len(unique))]
		if err := s.batchGet(ctx, contentID, chunk, found); err != nil {
			return nil, nil, err
		}
	}
	for _, k := range unique {
		if _, ok := found[k]; !ok {
			missing = append(missing, k)
		}
	}
	return found, missing, nil
}

// batchGet reads the items of kids (distinct, at most 100) into found.
func (s *Store) batchGet(ctx context.Context, contentID string, kids []uuid.UUID, found map[uuid.UUID]keys.Key) error {
	want := make([]map[string]types.AttributeValue, len(kids))
	for i, k := range kids {
		want[i] = itemKey(contentID, k)
	}
	req := map[string]types.KeysAndAttributes{
		s.table: {Keys: want, ConsistentRead: aws.Bool(true)},
	}
	for attempt := 0; ; attempt++ {
		out, err := s.batchGetOnce(ctx, contentID, req)
		if err != nil {
			return err
		}
		for _, item := range out.Responses[s.table] {
			kid, key, err := s.decode(contentID, item)
			if err != nil {
				return err
			}
			found[kid] = key
		}
		left, ok := out.UnprocessedKeys[s.table]
		if !ok || len(left.Keys) == 0 {
			return nil
		}
		if attempt >= s.opt.UnprocessedRetries {
			return fmt.Errorf("%w: dynamokeys: BatchGetItem left %d of %d keys of content %q unprocessed after %d retries",
				keys.ErrUnavailable, len(left.Keys), len(kids), contentID, attempt)
		}
		// Unprocessed keys mean the table is throttling us; back off
		// (10, 20, 40 ms, ...) before asking again for what is left.
		if err := sleep(ctx, time.Duration(10<<attempt)*time.Millisecond); err != nil {
			return unavailable("BatchGetItem", contentID, err)
		}
		req = map[string]types.KeysAndAttributes{s.table: left}
	}
}

func (s *Store) batchGetOnce(ctx context.Context, contentID string, req map[string]types.KeysAndAttributes) (*dynamodb.BatchGetItemOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	defer cancel()
	out, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
	if err != nil {
		return nil, unavailable("BatchGetItem", contentID, err)
	}
	return out, nil
}

// createAll creates or fetches the key of every KID in missing, returning
// them in the same order, or an error and nothing.
func (s *Store) createAll(ctx context.Context, contentID string, missing []uuid.UUID) ([]keys.Key, error) {
	out := make([]keys.Key, len(missing))
	if len(missing) == 1 {
		k, err := s.create(ctx, contentID, missing[0])
		if err != nil {
			return nil, err
		}
		out[0] = k
		return out, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, s.opt.Parallel)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for i, kid := range missing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			k, err := s.create(ctx, contentID, kid)
			if err != nil {
				once.Do(func() { firstErr = err; cancel(err) })
				return
			}
			out[i] = k
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		// The request context ended while goroutines waited for a slot.
		firstErr = unavailable("PutItem", contentID, context.Cause(ctx))
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// create writes a fresh random key for kid unless an item exists, and
// returns whichever key the table holds afterwards.
func (s *Store) create(ctx context.Context, contentID string, kid uuid.UUID) (keys.Key, error) {
	var raw [keys.Size]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	item := itemKey(contentID, kid)
	item[AttrKey] = &types.AttributeValueMemberB{Value: raw[:]}
	item[AttrCreatedAt] = &types.AttributeValueMemberS{Value: s.opt.Now().UTC().Format(time.RFC3339Nano)}
	item[AttrCreatedBy] = &types.AttributeValueMemberS{Value: s.opt.CreatedBy}

	callCtx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	_, err := s.api.PutItem(callCtx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(#c)"),
		ExpressionAttributeNames:            map[string]string{"#c": AttrContentID},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	cancel()
	if err == nil {
		k, _ := keys.NewKey(raw[:])
		return k, nil
	}
	var lost *types.ConditionalCheckFailedException
	if !errors.As(err, &lost) {
		return keys.Key{}, unavailable("PutItem", contentID, err)
	}
	// Another writer got there first (or an earlier attempt of ours whose
	// response was lost). Serve what the table holds, never our own bytes.
	if lost.Item != nil {
		_, k, err := s.decode(contentID, lost.Item)
		return k, err
	}
	// Emulators and older endpoints may not send the old item back.
	callCtx, cancel = context.WithTimeout(ctx, s.opt.CallTimeout)
	defer cancel()
	got, err := s.api.GetItem(callCtx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            itemKey(contentID, kid),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return keys.Key{}, unavailable("GetItem", contentID, err)
	}
	if got.Item == nil {
		// The winner's item vanished between the two calls (deleted by an
		// operator); refuse rather than guess.
		return keys.Key{}, fmt.Errorf("%w: dynamokeys: item for content %q KID %s missing after a lost conditional write",
			keys.ErrUnavailable, contentID, kid)
	}
	_, k, err := s.decode(contentID, got.Item)
	return k, err
}

// decode checks an item against the contract and returns its KID and key.
func (s *Store) decode(contentID string, item map[string]types.AttributeValue) (uuid.UUID, keys.Key, error) {
	corrupt := func(kid, why string) error {
		return fmt.Errorf("%w: dynamokeys: table %s, content %q, KID %s: %s",
			keys.ErrUnavailable, s.table, contentID, kid, why)
	}
	kv, ok := item[AttrKID].(*types.AttributeValueMemberS)
	if !ok {
		return uuid.UUID{}, keys.Key{}, corrupt("?", "kid is not a string")
	}
	kid, err := uuid.Parse(kv.Value)
	if err != nil || kid.String() != kv.Value {
		return uuid.UUID{}, keys.Key{}, corrupt(fmt.Sprintf("%q", kv.Value), "kid is not a lowercase 36-character UUID")
	}
	if cv, ok := item[AttrContentID].(*types.AttributeValueMemberS); !ok || cv.Value != contentID {
		return uuid.UUID{}, keys.Key{}, corrupt(kid.String(), "item belongs to another content ID")
	}
	b, ok := item[AttrKey].(*types.AttributeValueMemberB)
	if !ok {
		return uuid.UUID{}, keys.Key{}, corrupt(kid.String(), "key is missing or not binary")
	}
	k, err := keys.NewKey(b.Value)
	if err != nil {
		return uuid.UUID{}, keys.Key{}, corrupt(kid.String(), fmt.Sprintf("key is %d bytes, want %d", len(b.Value), keys.Size))
	}
	return kid, k, nil
}

func itemKey(contentID string, kid uuid.UUID) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrContentID: &types.AttributeValueMemberS{Value: contentID},
		AttrKID:       &types.AttributeValueMemberS{Value: kid.String()},
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unavailable(op, contentID string, err error) error {
	subject := ""
	if contentID != "" {
		subject = fmt.Sprintf("content %q", contentID)
	}
	if op == "PutItem" {
		// Its request holds the key, which a service message may echo.
		return awserr.Wrap("dynamokeys", op, subject, err)
	}
	return awserr.WrapWithMessage("dynamokeys", op, subject, err)
}
