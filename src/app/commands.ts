/**
 * Every user command, once: id, title, shortcut, whether it applies now, and what it does.
 * The toolbar, the command palette and the keyboard handler are all generated from this list.
 */
import { current } from '../core/ir/history.js';
import { canRedo, canUndo, currentModel, useApp } from './store.js';
import { download } from './download.js';
import { graphToPng, graphToSvg } from './exportImage.js';
import { modelWorker, unwrap } from './workerClient.js';
import { copyLink } from './useLinks.js';

export interface Command {
  id: string;
  title: string;
  /** e.g. "Mod+O": Mod is Ctrl, or Cmd on macOS */
  keys?: string[];
  group: 'file' | 'edit' | 'view' | 'help';
  enabled?: () => boolean;
  run: () => void | Promise<void>;
}

const hasModel = () => useApp.getState().doc !== null;
const hasLayout = () => useApp.getState().layout !== null;

function baseName(): string {
  const n = useApp.getState().doc?.fileName ?? 'model.onnx';
  return n.replace(/\.(onnx|pb|qonnx)$/i, '');
}

export const openPicker = { current: () => {} };

export const COMMANDS: Command[] = [
  { id: 'open', title: 'Open model…', keys: ['Mod+O'], group: 'file', run: () => openPicker.current() },
  {
    id: 'export-onnx',
    title: 'Download model (.onnx)',
    keys: ['Mod+S'],
    group: 'file',
    enabled: hasModel,
    run: async () => {
      const st = useApp.getState();
      const model = currentModel(st);
      if (!model || !st.doc) return;
      try {
        const bytes = unwrap(await modelWorker().encode(model));
        const edited = current(st.doc.history).id !== st.doc.history.versions[0].id;
        download(bytes, edited ? `${baseName()}-edited.onnx` : st.doc.fileName);
        for (const [name, f] of st.doc.externalFiles) download(f, name);
      } catch (e) {
        st.fail(e);
      }
    },
  },
  {
    id: 'export-svg',
    title: 'Export graph as SVG',
    group: 'file',
    enabled: hasLayout,
    run: () => {
      const l = useApp.getState().layout;
      if (l) download(graphToSvg(l), `${baseName()}.svg`, 'image/svg+xml');
    },
  },
  {
    id: 'export-png',
    title: 'Export graph as PNG',
    group: 'file',
    enabled: hasLayout,
    run: async () => {
      const l = useApp.getState().layout;
      if (!l) return;
      try {
        download(await graphToPng(l), `${baseName()}.png`, 'image/png');
      } catch (e) {
        useApp.getState().fail(e);
      }
    },
  },
  { id: 'copy-link', title: 'Copy link to this model, the selection and the open panel', keys: ['L'], group: 'file', enabled: hasModel, run: copyLink },
  { id: 'undo', title: 'Undo', keys: ['Mod+Z'], group: 'edit', enabled: () => !!useApp.getState().doc && canUndo(useApp.getState().doc!.history), run: () => useApp.getState().undo() },
  {
    id: 'redo',
    title: 'Redo',
    keys: ['Mod+Shift+Z', 'Mod+Y'],
    group: 'edit',
    enabled: () => !!useApp.getState().doc && canRedo(useApp.getState().doc!.history),
    run: () => useApp.getState().redo(),
  },
  { id: 'search', title: 'Find node or tensor', keys: ['Mod+F', '/'], group: 'view', enabled: hasLayout, run: () => useApp.getState().setSearchOpen(true) },
  {
    id: 'toggle-constants',
    title: 'Show constants and weight quantizers as nodes',
    keys: ['C'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setShowConstants(!useApp.getState().showConstants),
  },
  {
    id: 'group-layers',
    title: 'Group each layer (compute node, activation, quantizer) into one box',
    keys: ['G'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setGroupLayers(!useApp.getState().groupLayers),
  },
  {
    id: 'cost',
    title: 'Show or hide the inference cost panel',
    keys: ['K'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setCostPanelOpen(!useApp.getState().costPanelOpen),
  },
  {
    id: 'run',
    title: 'Show or hide the run panel',
    keys: ['R'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setRunPanelOpen(!useApp.getState().runPanelOpen),
  },
  {
    id: 'quantizers',
    title: 'Show or hide the quantizer table',
    keys: ['Q'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setQuantPanelOpen(!useApp.getState().quantPanelOpen),
  },
  {
    id: 'explore',
    title: 'Show or hide the precision explorer (per-layer sensitivity, cost/error front)',
    keys: ['E'],
    group: 'view',
    enabled: hasModel,
    run: () => useApp.getState().setExplorePanelOpen(!useApp.getState().explorePanelOpen),
  },
  { id: 'transform', title: 'Transformations…', keys: ['T'], group: 'edit', enabled: hasModel, run: () => useApp.getState().setDialog('transform') },
  { id: 'compare', title: 'Compare with the opened version or another file…', group: 'edit', enabled: hasModel, run: () => useApp.getState().setDialog('compare') },
  { id: 'model-info', title: 'Show model properties', keys: ['M'], group: 'view', enabled: hasModel, run: () => useApp.getState().select(null) },
  {
    id: 'deselect',
    title: 'Close the dialog or search, clear the selection',
    keys: ['Escape'],
    group: 'view',
    run: () => {
      const st = useApp.getState();
      if (st.dialog) st.setDialog(null);
      else if (st.searchOpen) st.setSearchOpen(false);
      else st.select(null);
    },
  },
  { id: 'shortcuts', title: 'Keyboard shortcuts', keys: ['?'], group: 'help', run: () => useApp.getState().notify({ kind: 'info', message: shortcutText() }) },
];

export function shortcutText(): string {
  return COMMANDS.filter((c) => c.keys).map((c) => `${c.keys!.map(keyLabel).join(' / ')}: ${c.title}`).join('\n') +
    '\n↑ / ↓: producer / consumer of the selected node\n← / →: previous / next node in order\nEnter: centre the selection';
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function keyLabel(k: string): string {
  return k.replace('Mod', isMac ? '⌘' : 'Ctrl');
}

/** Does a keyboard event match a shortcut such as "Mod+Shift+Z"? */
export function matches(e: KeyboardEvent, spec: string): boolean {
  const parts = spec.split('+');
  const key = parts.pop()!;
  const mod = parts.includes('Mod');
  const shift = parts.includes('Shift');
  if (mod !== (isMac ? e.metaKey : e.ctrlKey)) return false;
  if (!mod && (e.ctrlKey || e.metaKey || e.altKey)) return false;
  if (key.length === 1 && /[a-z]/i.test(key)) return e.key.toLowerCase() === key.toLowerCase() && shift === e.shiftKey;
  return e.key === key;
}

export function commandFor(e: KeyboardEvent): Command | undefined {
  return COMMANDS.find((c) => c.keys?.some((k) => matches(e, k)) && (c.enabled?.() ?? true));
}
