import { useEffect, useRef } from 'preact/hooks';
import qrcode from 'qrcode-generator';
import type { RemoteStream } from '../remote-session.js';

/** One received stream; audio plays through an invisible element. */
export function RemoteMedia({ remote }: { remote: RemoteStream }) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = remote.stream;
  }, [remote.stream]);
  if (remote.info.kind === 'audio') return <audio ref={ref} autoplay />;
  return (
    <figure class="remote-video" data-testid={`stream-${remote.info.label}`}>
      <video ref={ref} autoplay playsinline muted />
      <figcaption>{remote.info.name}</figcaption>
    </figure>
  );
}

/** The join code as a QR code (an SVG made in the page: nothing is fetched). */
export function JoinQr({ url }: { url: string }) {
  const qr = qrcode(0, 'M');
  qr.addData(url);
  qr.make();
  return <img class="remote-qr" data-testid="remote-qr" alt={url} src={qr.createDataURL(4, 2)} />;
}
