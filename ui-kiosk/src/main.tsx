import { render } from 'preact';
import { TeacherApp } from './teacher-app.js';
import { AdminApp } from './admin-app.js';
import { lang, setLang } from './i18n.js';
import { useObservable } from './store.js';
import './styles.css';

/** One bundle, two entry URLs: `/` is the teacher's panel, `/admin` the IT console. */
function Root() {
  useObservable(lang);
  return location.pathname.startsWith('/admin') ? <AdminApp /> : <TeacherApp />;
}

setLang(lang.get(), false);
const root = document.getElementById('app');
if (root) render(<Root />, root);
