import { render } from 'preact';
import { App } from './ui/app.js';
import { ChatStore } from './state/chat-store.js';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App store={new ChatStore()} />, root);
