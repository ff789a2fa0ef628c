// Custom resource that writes the HKDF seed into the (empty) seed secret
// exactly once. CloudFormation's GenerateSecretString cannot produce the
// contract's value (standard base64 of 32 random bytes, which always ends in
// one "=" and a restricted last character), so the value is made here from
// the runtime's CSPRNG.
//
// Create writes a value only if the secret has no AWSCURRENT version yet;
// Update and Delete never touch it, because a new seed would change every
// content key ever issued. The seed never appears in the response, in Data,
// in logs or in an error message.
'use strict';
const crypto = require('crypto');
const https = require('https');
const { URL } = require('url');

exports.seedValue = () =>
  JSON.stringify({ seed: crypto.randomBytes(32).toString('base64'), algorithm: 'hkdf-sha256' });

// ensureSeed returns "kept" or "written". sm is an AWS SDK v3 client; cmds
// holds its DescribeSecretCommand and PutSecretValueCommand classes.
exports.ensureSeed = async (sm, cmds, secretId, token) => {
  const d = await sm.send(new cmds.DescribeSecretCommand({ SecretId: secretId }));
  const stages = Object.values(d.VersionIdsToStages || {});
  if (stages.some((s) => s.includes('AWSCURRENT'))) return 'kept';
  // The request id makes a retried invocation idempotent on the service side.
  await sm.send(new cmds.PutSecretValueCommand({
    SecretId: secretId,
    SecretString: exports.seedValue(),
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
      reason = 'seed ' + await exports.ensureSeed(sm, sdk, event.ResourceProperties.SecretId, event.RequestId);
    }
  } catch (e) {
    status = 'FAILED';
    // SDK error names and messages describe the call, never the value.
    reason = 'seed secret: ' + (e && e.name ? e.name : 'error');
  }
  console.log(JSON.stringify({ requestType: event.RequestType, status, reason }));
  await respond(event, status, reason);
};
