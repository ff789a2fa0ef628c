// Custom resource that writes a random value into an (empty) secret exactly
// once: the HKDF seed, or the playback-token key. CloudFormation's
// GenerateSecretString cannot produce either contract value (standard
// base64 of 32 random bytes, which always ends in one "=" and a restricted
// last character), so the value is made here from the runtime's CSPRNG.
//
// ResourceProperties.Format picks the value: absent or "hkdf-seed" gives
// {"seed":"<b64>","algorithm":"hkdf-sha256"}; "base64-32" gives the bare
// base64 string. Create writes only if the secret has no AWSCURRENT version
// yet; Update and Delete never touch it, because a new seed would change
// every content key ever issued (and a new token key would void every
// token). The value never appears in the response, in Data, in logs or in
// an error message.
'use strict';
const crypto = require('crypto');
const https = require('https');
const { URL } = require('url');

exports.secretValue = (format) => {
  const b64 = crypto.randomBytes(32).toString('base64');
  if (format === 'base64-32') return b64;
  if (format && format !== 'hkdf-seed') throw new Error('unknown Format');
  return JSON.stringify({ seed: b64, algorithm: 'hkdf-sha256' });
};

// ensureValue returns "kept" or "written". sm is an AWS SDK v3 client; cmds
// holds its DescribeSecretCommand and PutSecretValueCommand classes.
exports.ensureValue = async (sm, cmds, secretId, token, format) => {
  const value = exports.secretValue(format);
  const d = await sm.send(new cmds.DescribeSecretCommand({ SecretId: secretId }));
  const stages = Object.values(d.VersionIdsToStages || {});
  if (stages.some((s) => s.includes('AWSCURRENT'))) return 'kept';
  // The request id makes a retried invocation idempotent on the service side.
  await sm.send(new cmds.PutSecretValueCommand({
    SecretId: secretId,
    SecretString: value,
    ClientRequestToken: token,
  }));
  return 'written';
};

exports.responseBody = (event, status, reason) => JSON.stringify({
  Status: status,
  Reason: reason,
  PhysicalResourceId: event.ResourceProperties.SecretId,
  StackId: event.StackId,
  RequestId: event.RequestId,
  LogicalResourceId: event.LogicalResourceId,
  Data: {},
});

function respond(event, status, reason) {
  const body = exports.responseBody(event, status, reason);
  const u = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request({
      hostname: u.hostname,
      port: u.port || 443,
      path: u.pathname + u.search,
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event) => {
  let status = 'SUCCESS';
  let reason = 'no change';
  try {
    if (event.RequestType === 'Create') {
      const sdk = require('@aws-sdk/client-secrets-manager');
      const sm = new sdk.SecretsManagerClient({});
      const p = event.ResourceProperties;
      reason = 'secret ' + await exports.ensureValue(sm, sdk, p.SecretId, event.RequestId, p.Format);
    }
  } catch (e) {
    status = 'FAILED';
    // SDK error names and messages describe the call, never the value.
    reason = 'secret: ' + (e && e.name ? e.name : 'error');
  }
  console.log(JSON.stringify({ requestType: event.RequestType, status, reason }));
  await respond(event, status, reason);
};
