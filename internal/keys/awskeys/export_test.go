package awskeys_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
)

// TestExportDynamoDB: keys SPEKE stored in DynamoDB (moto) come back from
// the export, opened outside with the certificate's private key, equal; a
// KID that was never issued is a 404 naming it and adds no item.
func TestExportDynamoDB(t *testing.T) {
	db := dynamodb.NewFromConfig(mototest.Config(t, nil))
	table := name("keys-")
	mototest.CreateTable(t, db, table)
	src, err := fromEnv(t, map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": table})
	if err != nil {
		t.Fatal(err)
	}
	h := exporttest.Handler(src)
	exporttest.RoundTrip(t, h, "dyn-movie")
	items := func() int32 {
		out, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Count
	}
	if n := items(); n != int32(len(exporttest.KIDs)) {
		t.Fatalf("%d items after issuing %d keys", n, len(exporttest.KIDs))
	}
	unknown := "11111111-2222-3333-4444-555555555555"
	for _, tc := range []struct {
		contentID string
		kids      []string
		missing   string
	}{
		{"dyn-movie", []string{exporttest.KIDs[0], unknown}, unknown},
		// An issued KID under another content ID was never issued there.
		{"other-movie", exporttest.KIDs[:1], exporttest.KIDs[0]},
	} {
		res := exporttest.Post(t, h, "/export", exporttest.ExportRequest(t, tc.contentID, tc.kids))
		if body := res.Body.String(); res.Code != http.StatusNotFound || body != "No key issued for KID "+tc.missing {
			t.Errorf("%s %v: %d %.80q", tc.contentID, tc.kids, res.Code, body)
		}
	}
	if n := items(); n != int32(len(exporttest.KIDs)) {
		t.Errorf("%d items after refused exports, want %d: the export created keys", n, len(exporttest.KIDs))
	}
}

// TestExportSecretsManager: keys derived from a seed in Secrets Manager
// (moto), both algorithms, come back from the export equal.
func TestExportSecretsManager(t *testing.T) {
	sm := secretsmanager.NewFromConfig(mototest.Config(t, nil))
	for _, tc := range []struct {
		algorithm string
		seedBytes int
	}{
		{secretkeys.AlgorithmHKDF, 32},
		{secretkeys.AlgorithmPlayReady, 30},
	} {
		t.Run(tc.algorithm, func(t *testing.T) {
			secret := name("seed-")
			seed := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", tc.seedBytes)))
			if _, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
				Name:         aws.String(secret),
				SecretString: aws.String(`{"seed":"` + seed + `","algorithm":"` + tc.algorithm + `"}`),
			}); err != nil {
				t.Fatal(err)
			}
			src, err := fromEnv(t, map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": secret})
			if err != nil {
				t.Fatal(err)
			}
			exporttest.RoundTrip(t, exporttest.Handler(src), "sm-movie")
		})
	}
}
