/**
 * One look per figure. The agents' plotly figures carry a static PNG copy beside the interactive JSON
 * (cells/static_png.py), for the places where plotly's JavaScript cannot run (GitHub, nbviewer). JupyterLab's
 * plotly renderer would show that copy first, swap it for the interactive chart on the first hover (a different
 * look), and write its own PNG into the output, marking the notebook unsaved. In a notebook's renderers this
 * module wraps the plotly one so that it draws the interactive chart at once, as if no PNG were there, and keeps
 * the outputs as the kernel wrote them: the saved file still carries the static copy for where it is needed.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime'; // types only: the lab's own objects at run time
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const WRAPPED = Symbol('trainer-agent-lab:one-look');

/** The model the plotly renderer sees: the output's data without its static copy, and no write-back. */
function interactiveOnly(model: IRenderMime.IMimeModel): IRenderMime.IMimeModel {
  const data = { ...model.data };
  delete data['image/png'];
  return {
    trusted: model.trusted,
    data,
    metadata: model.metadata,
    setData: () => undefined // plotly's own PNG of the drawn chart: not written into the person's notebook
  };
}

/**
 * Make ``rendermime``'s plotly renderer (when there is one) draw interactively at once and leave the outputs
 * unchanged; true when it is (now or already) wrapped. Without a plotly renderer nothing changes: JupyterLab
 * shows the static PNG, the one look it can give.
 */
export function oneLookFigures(rendermime: IRenderMimeRegistry): boolean {
  const inner = rendermime.getFactory(PLOTLY_MIME) as (IRenderMime.IRendererFactory & { [WRAPPED]?: true }) | undefined;
  if (!inner) {
    return false;
  }
  if (inner[WRAPPED]) {
    return true;
  }
  const factory: IRenderMime.IRendererFactory & { [WRAPPED]?: true } = {
    safe: inner.safe,
    mimeTypes: [PLOTLY_MIME],
    defaultRank: inner.defaultRank,
    createRenderer: options => {
      const renderer = inner.createRenderer(options);
      const render = renderer.renderModel.bind(renderer);
      renderer.renderModel = (model: IRenderMime.IMimeModel) => render(interactiveOnly(model));
      return renderer;
    }
  };
  factory[WRAPPED] = true;
  rendermime.addFactory(factory, rendermime.getRank(PLOTLY_MIME));
  return true;
}
