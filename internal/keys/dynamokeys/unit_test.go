package dynamokeys_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func newStore(t *testing.T, api dynamokeys.API) *dynamokeys.Store {
	t.Helper()
	s, err := dynamokeys.New(api, "keys", dynamokeys.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFakeConformance(t *testing.T) {
	db := newFakeDB()
	keystest.Run(t, func(t *testing.T) keys.Source { return newStore(t, db) }, keystest.Options{PerContent: true})
	if db.putCalls == 0 {
		t.Fatal("the suite never created a key")
	}
}

// TestLookupNeverWrites: with writes made to fail, Lookup still answers
// found and not-found, and never tries one; throttled reads are retried.
func TestLookupNeverWrites(t *testing.T) {
	db := newFakeDB()
	kid, unknown := keystest.RandomKID(), keystest.RandomKID()
	db.put("c", kid.String(), &types.AttributeValueMemberB{Value: bytes.Repeat([]byte{7}, 16)})
	db.putErr = func(map[string]types.AttributeValue) error { return errors.New("fake: write refused") }
	db.unprocessedRounds = 1
	s := newStore(t, db)
	ks, err := s.Lookup(t.Context(), "c", []uuid.UUID{kid, kid})
	if err != nil || len(ks) != 2 || ks[0].Reveal()[0] != 7 || !ks[1].Equal(ks[0]) {
		t.Fatalf("Lookup of a stored key: %d keys, %v", len(ks), err)
	}
	_, err = s.Lookup(t.Context(), "c", []uuid.UUID{unknown, kid, unknown})
	var nf *keys.NotFoundError
	if !errors.As(err, &nf) || len(nf.KIDs) != 1 || nf.KIDs[0] != unknown {
		t.Fatalf("unknown KID: %v", err)
	}
	if want := "no key issued for KID " + unknown.String(); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if db.putCalls != 0 || db.getCalls != 0 {
		t.Fatalf("Lookup made %d PutItem and %d GetItem calls", db.putCalls, db.getCalls)
	}
	if db.batchCalls != 3 {
		t.Errorf("%d BatchGetItem calls, want 3 (one retry of unprocessed keys)", db.batchCalls)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := dynamokeys.New(nil, "t", dynamokeys.Options{}); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := dynamokeys.New(newFakeDB(), "", dynamokeys.Options{}); err == nil {
		t.Error("empty table accepted")
	}
}

// TestLostRace forces the branch where the batch read misses an item that
// another writer creates before our conditional put: the store must return
// the winner's key, whether DynamoDB sends the old item back or not.
func TestLostRace(t *testing.T) {
	winner := bytes.Repeat([]byte{0xab}, 16)
	for _, tc := range []struct {
		name      string
		noOldItem bool
		wantGets  int
	}{
		{"old item in exception", false, 0},
		{"fallback consistent GetItem", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newFakeDB()
			db.noOldItem = tc.noOldItem
			kid := keystest.RandomKID()
			db.put("c", kid.String(), &types.AttributeValueMemberB{Value: winner})
			db.hideFromBatch[[2]string{"c", kid.String()}] = true
			ks, err := newStore(t, db).Keys(t.Context(), "c", []uuid.UUID{kid})
			if err != nil {
				t.Fatal(err)
			}
			if got := ks[0].Reveal(); !bytes.Equal(got[:], winner) {
				t.Error("lost race returned the loser's key")
			}
			if db.putCalls != 1 || db.getCalls != tc.wantGets {
				t.Errorf("puts %d gets %d, want 1 and %d", db.putCalls, db.getCalls, tc.wantGets)
			}
		})
	}
}

// TestCorruptItems: a stored item that breaks the contract fails the
// request; the store never returns garbage or a fresh key over it.
func TestCorruptItems(t *testing.T) {
	short := bytes.Repeat([]byte{0x5a}, 15)
	for _, tc := range []struct {
		name string
		key  types.AttributeValue
	}{
		{"15-byte key", &types.AttributeValueMemberB{Value: short}},
		{"17-byte key", &types.AttributeValueMemberB{Value: bytes.Repeat([]byte{0x5a}, 17)}},
		{"key as string", &types.AttributeValueMemberS{Value: hex.EncodeToString(bytes.Repeat([]byte{0x5a}, 16))}},
		{"no key", nil},
	} {
		for _, path := range []string{"batch", "lost race"} {
			t.Run(tc.name+"/"+path, func(t *testing.T) {
				db := newFakeDB()
				kid := keystest.RandomKID()
				db.put("c", kid.String(), tc.key)
				if path == "lost race" {
					db.hideFromBatch[[2]string{"c", kid.String()}] = true
				}
				ks, err := newStore(t, db).Keys(t.Context(), "c", []uuid.UUID{keystest.RandomKID(), kid})
				if err == nil || ks != nil {
					t.Fatalf("corrupt item served: %d keys, err %v", len(ks), err)
				}
				if !errors.Is(err, keys.ErrUnavailable) {
					t.Errorf("error %v does not wrap ErrUnavailable", err)
				}
				if strings.Contains(err.Error(), "5a5a5a") || strings.Contains(err.Error(), "WlpaWlpa") {
					t.Errorf("error leaks stored bytes: %v", err)
				}
			})
		}
	}
}

func TestUnprocessedKeys(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rounds     int
		retries    int
		wantErr    bool
		wantCalls  int
		wantPutted int
	}{
		{"none", 0, 3, false, 1, 2},
		{"two rounds, three retries", 2, 3, false, 3, 2},
		{"three rounds, three retries", 3, 3, false, 4, 2},
		{"four rounds, three retries", 4, 3, true, 4, 0},
		{"one round, retries off", 1, -1, true, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newFakeDB()
			db.unprocessedRounds = tc.rounds
			s, err := dynamokeys.New(db, "keys", dynamokeys.Options{UnprocessedRetries: tc.retries})
			if err != nil {
				t.Fatal(err)
			}
			ks, err := s.Keys(t.Context(), "c", []uuid.UUID{keystest.RandomKID(), keystest.RandomKID()})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && (!errors.Is(err, keys.ErrUnavailable) || ks != nil) {
				t.Errorf("failure returned %d keys, err %v", len(ks), err)
			}
			if db.batchCalls != tc.wantCalls || db.putCalls != tc.wantPutted {
				t.Errorf("BatchGetItem calls %d, PutItem calls %d; want %d and %d",
					db.batchCalls, db.putCalls, tc.wantCalls, tc.wantPutted)
			}
		})
	}
}

func TestBatchChunkingAndDedup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		distinct  int
		repeat    int
		wantSizes []int
	}{
		{"one", 1, 1, []int{1}},
		{"duplicates", 2, 3, []int{2}},
		{"exactly 100", 100, 1, []int{100}},
		{"101", 101, 1, []int{100, 1}},
		{"250 twice each", 250, 2, []int{100, 100, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newFakeDB()
			var kids []uuid.UUID
			for range tc.distinct {
				kids = append(kids, keystest.RandomKID())
			}
			var req []uuid.UUID
			for range tc.repeat {
				req = append(req, kids...)
			}
			s := newStore(t, db)
			first, err := s.Keys(t.Context(), "c", req)
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != len(req) || db.putCalls != tc.distinct {
				t.Fatalf("%d keys, %d puts", len(first), db.putCalls)
			}
			if got := db.batchSizes; !equalInts(got, tc.wantSizes) {
				t.Errorf("batch sizes %v, want %v", got, tc.wantSizes)
			}
			for i := range req {
				if !first[i].Equal(first[i%tc.distinct]) {
					t.Fatal("a repeated KID got another key")
				}
			}
			db.batchSizes = nil
			again, err := s.Keys(t.Context(), "c", req)
			if err != nil {
				t.Fatal(err)
			}
			if db.putCalls != tc.distinct {
				t.Error("second request wrote again")
			}
			for i := range req {
				if !again[i].Equal(first[i]) {
					t.Fatal("key changed")
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPutFailure: when one write of several fails, the request fails as a
// whole, and the error text never carries the key even when the service's
// message quotes the item.
func TestPutFailure(t *testing.T) {
	db := newFakeDB()
	var leaked [][]byte
	n := 0
	db.putErr = func(item map[string]types.AttributeValue) error {
		n++
		if n != 2 {
			return nil
		}
		b := item[dynamokeys.AttrKey].(*types.AttributeValueMemberB).Value
		leaked = append(leaked, b)
		return &smithy.GenericAPIError{
			Code:    "ValidationException",
			Message: "bad item key=" + hex.EncodeToString(b) + " b64=" + base64.StdEncoding.EncodeToString(b),
		}
	}
	kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID(), keystest.RandomKID()}
	ks, err := newStore(t, db).Keys(t.Context(), "c", kids)
	if err == nil || ks != nil {
		t.Fatalf("got %d keys and err %v", len(ks), err)
	}
	if !errors.Is(err, keys.ErrUnavailable) {
		t.Errorf("%v does not wrap ErrUnavailable", err)
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		t.Errorf("service error not reachable through errors.As: %v", err)
	}
	if !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("error %q does not name the service error", err)
	}
	for _, b := range leaked {
		if strings.Contains(err.Error(), hex.EncodeToString(b)) || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(b)) {
			t.Fatalf("error leaks the key: %q", err)
		}
	}
}

// TestDeadline: a client that hangs is cut off by the per-call timeout and
// the error wraps both ErrUnavailable and context.DeadlineExceeded.
func TestDeadline(t *testing.T) {
	s, err := dynamokeys.New(hangingDB{}, "keys", dynamokeys.Options{CallTimeout: 1, Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := s.Keys(t.Context(), "c", []uuid.UUID{keystest.RandomKID()})
	if ks != nil || !errors.Is(err, keys.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %d keys, err %v", len(ks), err)
	}
}

type hangingDB struct{ dynamokeys.API }

func (hangingDB) BatchGetItem(ctx context.Context, _ *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCheckTable(t *testing.T) {
	def := func(name string, typ types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ}
	}
	key := func(name string, typ types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: typ}
	}
	good := &types.TableDescription{
		AttributeDefinitions: []types.AttributeDefinition{def("contentId", "S"), def("kid", "S")},
		KeySchema:            []types.KeySchemaElement{key("contentId", types.KeyTypeHash), key("kid", types.KeyTypeRange)},
	}
	for _, tc := range []struct {
		name    string
		table   *types.TableDescription
		err     error
		wantErr string
	}{
		{"contract", good, nil, ""},
		{"kid as partition key", &types.TableDescription{
			AttributeDefinitions: []types.AttributeDefinition{def("kid", "S")},
			KeySchema:            []types.KeySchemaElement{key("kid", types.KeyTypeHash)},
		}, nil, `partition "kid"`},
		{"binary kid", &types.TableDescription{
			AttributeDefinitions: []types.AttributeDefinition{def("contentId", "S"), def("kid", "B")},
			KeySchema:            good.KeySchema,
		}, nil, "want partition key contentId (S)"},
		{"missing table", nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := dynamokeys.CheckTable(t.Context(), describer{tc.table, tc.err}, "keys", 1e9)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

type describer struct {
	t   *types.TableDescription
	err error
}

func (d describer) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	return &dynamodb.DescribeTableOutput{Table: d.t}, nil
}
