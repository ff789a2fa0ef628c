// Plays ?manifest= with Shaka Player, adding ?token= as a bearer token to
// every license and key request (the only requests that need it). The
// license URL and key URI are not configured here: they come from the
// manifest (dashif:Laurl) and the playlist (EXT-X-KEY URI), as signaled by
// the key provider. The outcome is published in window.playbackResult for
// the test driver and shown on the page.
(async () => {
  const params = new URLSearchParams(location.search);
  const manifest = params.get('manifest');
  const token = params.get('token') || '';
  const mustPlay = Number(params.get('seconds') || '3');
  const video = document.getElementById('video');
  const status = document.getElementById('status');
  const result = { requests: [], firstFrameMs: null, currentTime: 0 };
  const show = (s) => { status.textContent = s; };
  const finish = (outcome, extra) => {
    if (window.playbackResult) return;
    Object.assign(result, { outcome, currentTime: video.currentTime }, extra || {});
    window.playbackResult = result;
    show(outcome === 'played'
      ? `playing: ${video.currentTime.toFixed(1)} s, first frame after ${Math.round(result.firstFrameMs)} ms`
      : `error: ${JSON.stringify(result.error)}`);
  };
  // The HTTP status of a refused request: Shaka's BAD_HTTP_STATUS (1001)
  // has it as data[1], directly or wrapped (a failed license request, 6007).
  const httpStatus = (e) => {
    const net = e && e.code === 1001 ? e : (e && e.data && e.data[0] && e.data[0].code === 1001 ? e.data[0] : null);
    return net ? net.data[1] : null;
  };
  const fail = (e) => finish('error', { error: { code: e.code, category: e.category, severity: e.severity, httpStatus: httpStatus(e), data: String(e.data && e.data[0] !== undefined ? e.data[0] : e.message || '') } });

  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) { finish('error', { error: { code: 'unsupported' } }); return; }
  const player = new shaka.Player();
  await player.attach(video);
  const RT = shaka.net.NetworkingEngine.RequestType;
  player.getNetworkingEngine().registerRequestFilter((type, request) => {
    if (type === RT.LICENSE || type === RT.KEY) {
      request.headers['Authorization'] = 'Bearer ' + token;
      result.requests.push({ type: type === RT.LICENSE ? 'license' : 'key', uri: request.uris[0] });
    }
  });
  player.addEventListener('error', (ev) => fail(ev.detail));
  if (video.requestVideoFrameCallback) {
    video.requestVideoFrameCallback(() => { result.firstFrameMs = performance.now(); });
  }
  video.addEventListener('timeupdate', () => {
    if (video.currentTime >= mustPlay) finish('played');
  });
  try {
    await player.load(manifest);
    await video.play();
  } catch (e) {
    fail(e);
  }
})();
