import { render } from 'preact';
import { TeacherApp } from './teacher-app.js';
import { AdminApp } from './admin-app.js';
import { lang, setLang } from './i18n.js';
import { useObservable } from './store.js';
import './styles.css';

/**
 * One bundle, three entry URLs: `/` is the teacher's panel, `/admin` the IT console, `/join` a remote lesson's viewers.
 */
function Root() {
  useObservable(lang);
  return location.pathname.startsWith('/admin') ? <AdminApp /> : <TeacherApp />;
}

setLang(lang.get(), false);
const root = document.getElementById('app');
// The viewer page (and mediasoup-client) is its own chunk: the teacher panel does not load it.
if (root && location.pathname.startsWith('/join'))
  void import('./viewer-app.js').then(({ ViewerApp }) => render(<ViewerApp />, root));
else if (root) render(<Root />, root);
