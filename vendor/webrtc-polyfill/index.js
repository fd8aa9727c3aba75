'use strict'
// tod-p2m speaks BitTorrent over TCP only. WebTorrent checks these names to decide whether
// WebRTC peers are possible; undefined makes it report no WebRTC support.
module.exports = {
  RTCPeerConnection: undefined,
  RTCSessionDescription: undefined,
  RTCIceCandidate: undefined,
  RTCDataChannel: undefined,
  default: undefined
}
