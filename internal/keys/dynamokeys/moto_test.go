package dynamokeys_test

// Integration tests against moto_server over the real DynamoDB wire
// protocol. They run in plain `go test` (and `make test`); TestMain starts
// moto and fails the package if it is missing.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// client returns a new DynamoDB client on moto over rt (nil: plain), as a
// new Lambda instance would build it.
func client(t testing.TB, rt http.RoundTripper) *dynamodb.Client {
	return dynamodb.NewFromConfig(mototest.Config(t, rt))
}

var (
	cleanOnce sync.Once
	cleanC    *dynamodb.Client
)

// clean is a fault-free client shared by the checks that read the table
// behind the store's back.
func clean(t testing.TB) *dynamodb.Client {
	cleanOnce.Do(func() { cleanC = client(t, nil) })
	return cleanC
}

// newTable creates a fresh table so tests do not share state.
func newTable(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "keys-" + hex.EncodeToString(b[:])
	mototest.CreateTable(t, clean(t), name)
	return name
}

func motoStore(t testing.TB, table string, rt http.RoundTripper) *dynamokeys.Store {
	t.Helper()
	s, err := dynamokeys.New(client(t, rt), table, dynamokeys.Options{CallTimeout: awskeys.CallTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stored reads the item for (contentID, kid) with a clean client.
func stored(t testing.TB, table, contentID string, kid uuid.UUID) map[string]types.AttributeValue {
	t.Helper()
	out, err := clean(t).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"contentId": &types.AttributeValueMemberS{Value: contentID}, "kid": &types.AttributeValueMemberS{Value: kid.String()}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func storedKey(t testing.TB, table, contentID string, kid uuid.UUID) (keys.Key, bool) {
	t.Helper()
	it := stored(t, table, contentID, kid)
	if it == nil {
		return keys.Key{}, false
	}
	b, ok := it["key"].(*types.AttributeValueMemberB)
	if !ok {
		t.Fatalf("item %s/%s has no binary key", contentID, kid)
	}
	k, err := keys.NewKey(b.Value)
	if err != nil {
		t.Fatalf("item %s/%s: %v", contentID, kid, err)
	}
	return k, true
}

func TestMotoConformance(t *testing.T) {
	table := newTable(t)
	// Every open builds a new client and store: another Lambda instance.
	keystest.Run(t, func(t *testing.T) keys.Source { return motoStore(t, table, nil) }, keystest.Options{PerContent: true})
}

// TestMotoRoundTrip checks the stored item against the table contract and
// that a restarted instance serves the same keys.
func TestMotoRoundTrip(t *testing.T) {
	table := newTable(t)
	kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID()}
	before := time.Now().UTC().Add(-time.Second)
	first, err := motoStore(t, table, nil).Keys(t.Context(), "movie/1", kids)
	if err != nil {
		t.Fatal(err)
	}
	for i, kid := range kids {
		it := stored(t, table, "movie/1", kid)
		if it == nil {
			t.Fatalf("KID %s not stored", kid)
		}
		if got := it["kid"].(*types.AttributeValueMemberS).Value; got != kid.String() || strings.ToLower(got) != got || len(got) != 36 {
			t.Errorf("kid attribute %q", got)
		}
		if got := it["contentId"].(*types.AttributeValueMemberS).Value; got != "movie/1" {
			t.Errorf("contentId attribute %q", got)
		}
		k, _ := storedKey(t, table, "movie/1", kid)
		if !k.Equal(first[i]) {
			t.Error("stored key differs from the returned key")
		}
		at, err := time.Parse(time.RFC3339Nano, it["createdAt"].(*types.AttributeValueMemberS).Value)
		if err != nil || at.Before(before) {
			t.Errorf("createdAt %v (%v)", at, err)
		}
		if by := it["createdBy"].(*types.AttributeValueMemberS).Value; by == "" {
			t.Error("empty createdBy")
		}
	}
	again, err := motoStore(t, table, nil).Keys(t.Context(), "movie/1", kids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range kids {
		if !again[i].Equal(first[i]) {
			t.Fatal("restarted instance gave another key")
		}
	}
}

func putRaw(t *testing.T, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := clean(t).PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// TestMotoOperatorItems: items written beforehand in the contract shape are
// served as they are; items that break it fail the request.
func TestMotoOperatorItems(t *testing.T) {
	table := newTable(t)
	kid, bad := keystest.RandomKID(), keystest.RandomKID()
	want := []byte("0123456789abcdef")
	putRaw(t, table, map[string]types.AttributeValue{
		"contentId": &types.AttributeValueMemberS{Value: "imported"},
		"kid":       &types.AttributeValueMemberS{Value: kid.String()},
		"key":       &types.AttributeValueMemberB{Value: want},
	})
	putRaw(t, table, map[string]types.AttributeValue{
		"contentId": &types.AttributeValueMemberS{Value: "imported"},
		"kid":       &types.AttributeValueMemberS{Value: bad.String()},
		"key":       &types.AttributeValueMemberB{Value: want[:15]},
	})
	s := motoStore(t, table, nil)
	ks, err := s.Keys(t.Context(), "imported", []uuid.UUID{kid})
	if err != nil {
		t.Fatal(err)
	}
	if got := ks[0].Reveal(); string(got[:]) != string(want) {
		t.Error("operator's key not served as is")
	}
	ks, err = s.Keys(t.Context(), "imported", []uuid.UUID{kid, bad})
	if err == nil || ks != nil || !errors.Is(err, keys.ErrUnavailable) {
		t.Fatalf("15-byte stored key: %d keys, err %v", len(ks), err)
	}
	if k, _ := storedKey(t, table, "imported", kid); k.IsZero() {
		t.Error("operator item changed")
	}
}

// TestMotoCallsPerRequest pins the AWS calls a request costs: one read when
// all keys exist, one read plus one conditional write per new key.
func TestMotoCallsPerRequest(t *testing.T) {
	table := newTable(t)
	counter := &mototest.Counter{}
	s := motoStore(t, table, counter)
	for _, n := range []int{1, 2, 8} {
		cid := keystest.RandomContentID()
		var kids []uuid.UUID
		for range n {
			kids = append(kids, keystest.RandomKID())
		}
		counter.Take()
		if _, err := s.Keys(t.Context(), cid, kids); err != nil {
			t.Fatal(err)
		}
		first := counter.Take()
		if _, err := s.Keys(t.Context(), cid, kids); err != nil {
			t.Fatal(err)
		}
		repeat := counter.Take()
		t.Logf("%d-key request: first %d calls %v, repeat %d calls %v", n, mototest.Total(first), first, mototest.Total(repeat), repeat)
		if first["BatchGetItem"] != 1 || first["PutItem"] != n || mototest.Total(first) != n+1 {
			t.Errorf("%d-key first request: %v, want 1 BatchGetItem and %d PutItem", n, first, n)
		}
		if repeat["BatchGetItem"] != 1 || mototest.Total(repeat) != 1 {
			t.Errorf("%d-key repeat request: %v, want 1 BatchGetItem", n, repeat)
		}
	}
}

// TestMotoLookupReadOnly pins what the players' path costs and touches: one
// consistent BatchGetItem per 100 distinct KIDs, never a write, found or
// not, and the table holds exactly the items it held before.
func TestMotoLookupReadOnly(t *testing.T) {
	table := newTable(t)
	counter := &mototest.Counter{}
	s := motoStore(t, table, counter)
	cid := keystest.RandomContentID()
	kids := make([]uuid.UUID, 150)
	for i := range kids {
		kids[i] = keystest.RandomKID()
	}
	issued, err := s.Keys(t.Context(), cid, kids[:120])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		kids      []uuid.UUID
		batches   int
		wantFound bool
	}{
		{"one known", kids[:1], 1, true},
		{"120 known, some twice", append(append([]uuid.UUID{}, kids[:120]...), kids[:5]...), 2, true},
		{"one unknown", kids[120:121], 1, false},
		{"known and unknown", kids, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counter.Take()
			ks, err := s.Lookup(t.Context(), cid, tc.kids)
			calls := counter.Take()
			if calls["BatchGetItem"] != tc.batches || mototest.Total(calls) != tc.batches {
				t.Errorf("calls %v, want %d BatchGetItem and nothing else", calls, tc.batches)
			}
			if !tc.wantFound {
				var nf *keys.NotFoundError
				if ks != nil || !errors.As(err, &nf) {
					t.Fatalf("%d keys, %v", len(ks), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range ks {
				if !k.Equal(issued[i%120]) {
					t.Fatalf("KID %d: Lookup differs from Keys", i)
				}
			}
		})
	}
	out, err := clean(t).Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 120 {
		t.Fatalf("table holds %d items after lookups, want the 120 issued", len(out.Items))
	}
}

// TestMotoLookupOutage: a store failure during Lookup is ErrUnavailable
// (retryable), never NotFound (which would tell a player the key is gone).
func TestMotoLookupOutage(t *testing.T) {
	table := newTable(t)
	kid := keystest.RandomKID()
	if _, err := motoStore(t, table, nil).Keys(t.Context(), "c", []uuid.UUID{kid}); err != nil {
		t.Fatal(err)
	}
	down := &mototest.Faulty{Plan: func(int, string, int) mototest.Fault { return mototest.ResetBeforeSend }}
	c := dynamodb.NewFromConfig(mototest.Config(t, down), func(o *dynamodb.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, 5*time.Millisecond)
	})
	s, err := dynamokeys.New(c, table, dynamokeys.Options{CallTimeout: awskeys.CallTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []uuid.UUID{kid, keystest.RandomKID()} {
		ks, err := s.Lookup(t.Context(), "c", []uuid.UUID{k})
		if ks != nil || !errors.Is(err, keys.ErrUnavailable) || errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("outage: %d keys, %v", len(ks), err)
		}
	}
}

// blindReads hides the batch read's results, so every KID looks new and
// the conditional put meets an existing item (a lost race), and optionally
// strips the old item from the exception to force the GetItem fallback.
type blindReads struct {
	*dynamodb.Client
	stripOldItem bool
}

func (b blindReads) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := b.Client.BatchGetItem(ctx, in, o...)
	if err == nil {
		out.Responses = nil
	}
	return out, err
}

func (b blindReads) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := b.Client.PutItem(ctx, in, o...)
	var lost *types.ConditionalCheckFailedException
	if b.stripOldItem && errors.As(err, &lost) {
		lost.Item = nil
	}
	return out, err
}

func TestMotoLostRace(t *testing.T) {
	table := newTable(t)
	for _, strip := range []bool{false, true} {
		t.Run(fmt.Sprintf("stripOldItem=%v", strip), func(t *testing.T) {
			cid := keystest.RandomContentID()
			kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID()}
			won, err := motoStore(t, table, nil).Keys(t.Context(), cid, kids)
			if err != nil {
				t.Fatal(err)
			}
			counter := &mototest.Counter{}
			s, err := dynamokeys.New(blindReads{client(t, counter), strip}, table, dynamokeys.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lost, err := s.Keys(t.Context(), cid, kids)
			if err != nil {
				t.Fatal(err)
			}
			for i := range kids {
				if !lost[i].Equal(won[i]) {
					t.Fatal("loser of the conditional write did not return the winner's key")
				}
			}
			calls := counter.Take()
			if wantGets := map[bool]int{false: 0, true: 2}[strip]; calls["GetItem"] != wantGets || calls["PutItem"] != 2 {
				t.Errorf("calls %v, want 2 PutItem and %d GetItem", calls, wantGets)
			}
		})
	}
}

// The two-process race: the parent starts two copies of this test binary;
// each runs racers goroutines that ask, at one signal, for the same new
// KIDs. They print SHA-256 digests of the keys, never the keys.
const (
	raceEnv     = "DYNAMOKEYS_RACE_HELPER"
	racers      = 32
	raceTable   = "DYNAMOKEYS_RACE_TABLE"
	raceContent = "DYNAMOKEYS_RACE_CONTENT"
	raceKIDs    = "DYNAMOKEYS_RACE_KIDS"
)

func digest(k keys.Key) string {
	b := k.Reveal()
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

func TestTwoProcessRace(t *testing.T) {
	if os.Getenv(raceEnv) != "" {
		raceChild(t)
		return
	}
	table := newTable(t)
	cid := keystest.RandomContentID()
	kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID(), keystest.RandomKID()}
	var kidList []string
	for _, k := range kids {
		kidList = append(kidList, k.String())
	}

	type child struct {
		cmd   *exec.Cmd
		in    io.WriteCloser
		out   *bufio.Scanner
		lines []string
	}
	var children []*child
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcessRace$", "-test.count=1")
		cmd.Env = append(os.Environ(), raceEnv+"=1", mototest.EnvEndpoint+"="+mototest.URL(),
			raceTable+"="+table, raceContent+"="+cid, raceKIDs+"="+strings.Join(kidList, ","))
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, &child{cmd: cmd, in: in, out: bufio.NewScanner(out)})
	}
	// Barrier: both processes have built their clients and parked their
	// goroutines before either sends a request.
	for i, c := range children {
		ready := false
		for c.out.Scan() {
			if c.out.Text() == "READY" {
				ready = true
				break
			}
			c.lines = append(c.lines, c.out.Text())
		}
		if !ready {
			t.Fatalf("child %d ended before READY: %v", i, c.lines)
		}
	}
	for _, c := range children {
		_, _ = io.WriteString(c.in, "GO\n")
		c.in.Close()
	}
	digests := map[string]map[string]int{} // kid -> digest -> count
	for i, c := range children {
		for c.out.Scan() {
			f := strings.Fields(c.out.Text())
			if len(f) == 3 && f[0] == "DIGEST" {
				if digests[f[1]] == nil {
					digests[f[1]] = map[string]int{}
				}
				digests[f[1]][f[2]]++
			} else {
				c.lines = append(c.lines, c.out.Text())
			}
		}
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, strings.Join(c.lines, "\n"))
		}
	}
	for _, kid := range kids {
		got := digests[kid.String()]
		if len(got) != 1 {
			t.Fatalf("KID %s: %d distinct keys across 64 requests (%v)", kid, len(got), got)
		}
		stored, ok := storedKey(t, table, cid, kid)
		if !ok {
			t.Fatalf("KID %s not stored", kid)
		}
		if got[digest(stored)] != 2*racers {
			t.Fatalf("KID %s: %v; want all %d requests to return the stored key", kid, got, 2*racers)
		}
	}
	out, err := clean(t).Query(t.Context(), &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("contentId = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: cid}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, it := range out.Items {
		seen[it["kid"].(*types.AttributeValueMemberS).Value]++
	}
	if len(out.Items) != len(kids) {
		t.Fatalf("%d items for %d KIDs: %v", len(out.Items), len(kids), seen)
	}
	for _, kid := range kids {
		if seen[kid.String()] != 1 {
			t.Errorf("KID %s stored %d times", kid, seen[kid.String()])
		}
	}
}

func raceChild(t *testing.T) {
	var kids []uuid.UUID
	for _, s := range strings.Split(os.Getenv(raceKIDs), ",") {
		kids = append(kids, uuid.MustParse(s))
	}
	cid, table := os.Getenv(raceContent), os.Getenv(raceTable)
	// One store per process, as in one Lambda instance; its HTTP client
	// is shared by the goroutines.
	s := motoStore(t, table, nil)
	start := make(chan struct{})
	results := make([][]keys.Key, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Keys(context.Background(), cid, kids)
		}()
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	close(start)
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		for j, kid := range kids {
			fmt.Println("DIGEST", kid, digest(results[i][j]))
		}
	}
}

// TestMotoFaults runs requests through a transport that fails a share of
// the calls in different ways. Whatever happens, a request either fails
// with ErrUnavailable and no keys, or returns keys that are in the table
// and that every later request returns again.
func TestMotoFaults(t *testing.T) {
	// Plans keep most calls healthy: the SDK's retry token bucket (part of
	// the production policy) stops retrying once faults dominate, and then
	// every request fails, which would leave the success path untested.
	every := func(k int, kinds ...mototest.Fault) func(int, string, int) mototest.Fault {
		return func(n int, _ string, _ int) mototest.Fault {
			if n%k != 0 {
				return mototest.Pass
			}
			return kinds[(n/k)%len(kinds)]
		}
	}
	for _, tc := range []struct {
		name         string
		plan         func(n int, op string, opN int) mototest.Fault
		outage       bool
		wantFailures bool
	}{
		{"every 3rd call reset before send", every(3, mototest.ResetBeforeSend), false, false},
		{"every 3rd call reset after send", every(3, mototest.ResetAfterSend), false, false},
		{"every 3rd call 500 after send", every(3, mototest.Status500AfterSend), false, false},
		{"every 2nd call throttled", every(2, mototest.Throttle), false, false},
		{"every 3rd call, mixed faults", every(3, mototest.ResetBeforeSend, mototest.ResetAfterSend,
			mototest.Status500, mototest.Status500AfterSend, mototest.Throttle), false, false},
		// The write lands but its answer is lost; the SDK's retry then
		// meets our own item and must return exactly that key.
		{"every other write's answer lost", func(_ int, op string, opN int) mototest.Fault {
			if op == "PutItem" && opN%2 == 1 {
				return mototest.ResetAfterSend
			}
			return mototest.Pass
		}, false, false},
		// The second request writes three new keys; all nine attempts
		// (writes 3 to 11) land but lose their answers, so it fails
		// although its keys were stored, and later requests must serve
		// exactly those stored keys.
		{"a run of writes lost after landing", func(_ int, op string, opN int) mototest.Fault {
			if op == "PutItem" && opN >= 3 && opN <= 11 {
				return mototest.ResetAfterSend
			}
			return mototest.Pass
		}, false, true},
		// The same request, but its writes never reach the table: its
		// fresh keys must not be handed out.
		{"a run of writes refused", func(_ int, op string, opN int) mototest.Fault {
			if op == "PutItem" && opN >= 3 && opN <= 11 {
				return mototest.Status500
			}
			return mototest.Pass
		}, false, true},
		{"outage", func(int, string, int) mototest.Fault { return mototest.ResetBeforeSend }, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the plans wait mostly in SDK backoff
			table := newTable(t)
			faulty := &mototest.Faulty{Plan: tc.plan}
			// The production retry policy, with its backoff shortened so
			// the plans do not spend the test's time sleeping.
			c := dynamodb.NewFromConfig(mototest.Config(t, faulty), func(o *dynamodb.Options) {
				o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, 5*time.Millisecond)
			})
			s, err := dynamokeys.New(c, table, dynamokeys.Options{CallTimeout: awskeys.CallTimeout})
			if err != nil {
				t.Fatal(err)
			}
			type ck struct {
				cid string
				kid uuid.UUID
			}
			issued := map[ck]keys.Key{}
			var pool []uuid.UUID
			ok, failed := 0, 0
			for i := range 12 {
				// Alternate new KIDs with ones asked for before, so both
				// the read and the write path meet faults.
				cid := fmt.Sprintf("content-%d", i%3)
				kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID()}
				if len(pool) > 0 {
					kids = append(kids, pool[i%len(pool)])
				}
				pool = append(pool, kids[0])
				ks, err := s.Keys(t.Context(), cid, kids)
				if err != nil {
					failed++
					if ks != nil || !errors.Is(err, keys.ErrUnavailable) {
						t.Fatalf("request %d: %d keys with error %v", i, len(ks), err)
					}
					continue
				}
				ok++
				for j, kid := range kids {
					if prev, seen := issued[ck{cid, kid}]; seen && !prev.Equal(ks[j]) {
						t.Fatalf("request %d: KID %s changed key", i, kid)
					}
					issued[ck{cid, kid}] = ks[j]
				}
			}
			t.Logf("%d requests ok, %d failed, %d faults injected", ok, failed, faulty.Injected)
			if tc.outage && ok != 0 {
				t.Fatalf("%d requests succeeded during an outage", ok)
			}
			if !tc.outage && ok == 0 {
				t.Fatal("no request succeeded; the plan tests nothing")
			}
			if tc.wantFailures && failed == 0 {
				t.Fatal("no request failed; the plan tests nothing")
			}
			// Every key handed out is in the table and comes back again.
			fresh := motoStore(t, table, nil)
			for c, want := range issued {
				got, found := storedKey(t, table, c.cid, c.kid)
				if !found || !got.Equal(want) {
					t.Fatalf("%s/%s: a key was handed out that the table does not hold", c.cid, c.kid)
				}
				ks, err := fresh.Keys(t.Context(), c.cid, []uuid.UUID{c.kid})
				if err != nil || !ks[0].Equal(want) {
					t.Fatalf("%s/%s: re-read gave another key (%v)", c.cid, c.kid, err)
				}
			}
		})
	}
}

// BenchmarkMoto measures the time a request spends in the store against
// moto on loopback: "existing" is the steady state (one BatchGetItem),
// "new" the first request for fresh KIDs (read plus conditional writes).
func BenchmarkMoto(b *testing.B) {
	table := newTable(b)
	s := motoStore(b, table, nil)
	ctx := context.Background()
	for _, n := range []int{1, 2, 8} {
		kids := make([]uuid.UUID, n)
		for i := range kids {
			kids[i] = keystest.RandomKID()
		}
		b.Run(fmt.Sprintf("existing/%dkeys", n), func(b *testing.B) {
			cid := keystest.RandomContentID()
			if _, err := s.Keys(ctx, cid, kids); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Keys(ctx, cid, kids); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("new/%dkeys", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Keys(ctx, keystest.RandomContentID(), kids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
