/** The capacity area's directory pages: the list (with the service mapping) and the form for one resource. */
export { DirectoryForm } from './DirectoryForm';
export { DirectoryPage } from './DirectoryPage';
export { directoryRoute } from './resources';
