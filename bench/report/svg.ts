/** A small hand-written SVG chart of a bench result: bar and line panels on one page, no dependencies. */

export interface Bar {
  label: string;
  value: number;
  color?: string;
}
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** draw points only (a fit line is a second series) */
  dotsOnly?: boolean;
  dashed?: boolean;
}
export type Panel =
  | { kind: 'bars'; title: string; unit: string; bars: Bar[] }
  | { kind: 'lines'; title: string; xLabel: string; yLabel: string; series: Series[] };

const W = 460;
const H = 300;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function frame(title: string): string[] {
  return [
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff" stroke="#ddd"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
}

const PAD = { l: 56, r: 14, t: 34, b: 58 };

function bars(p: Extract<Panel, { kind: 'bars' }>): string[] {
  const out = frame(p.title);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const max = niceMax(Math.max(...p.bars.map((b) => b.value), 0));
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ih - (ih * i) / 4;
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(
      `<text x="${PAD.l - 4}" y="${y + 4}" text-anchor="end" font-size="10">${fmt((max * i) / 4)}</text>`,
    );
  }
  out.push(
    `<text x="12" y="${PAD.t + ih / 2}" font-size="10" transform="rotate(-90 12 ${PAD.t + ih / 2})" text-anchor="middle">${esc(p.unit)}</text>`,
  );
  const slot = iw / Math.max(1, p.bars.length);
  p.bars.forEach((b, i) => {
    const h = (ih * b.value) / max;
    const x = PAD.l + i * slot + slot * 0.15;
    const y = PAD.t + ih - h;
    out.push(
      `<rect x="${x}" y="${y}" width="${slot * 0.7}" height="${h}" fill="${b.color ?? '#4e79a7'}"/>`,
      `<text x="${x + slot * 0.35}" y="${y - 3}" text-anchor="middle" font-size="10">${fmt(b.value)}</text>`,
      `<text x="${x + slot * 0.35}" y="${PAD.t + ih + 14}" text-anchor="middle" font-size="10">${esc(b.label)}</text>`,
    );
  });
  return out;
}

function lines(p: Extract<Panel, { kind: 'lines' }>): string[] {
  const out = frame(p.title);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const pts = p.series.flatMap((s) => s.points);
  const xmax = niceMax(Math.max(...pts.map((q) => q[0]), 0));
  const ymax = niceMax(Math.max(...pts.map((q) => q[1]), 0));
  const sx = (x: number) => PAD.l + (iw * x) / xmax;
  const sy = (y: number) => PAD.t + ih - (ih * y) / ymax;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ih - (ih * i) / 4;
    const x = PAD.l + (iw * i) / 4;
    out.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${PAD.l - 4}" y="${y + 4}" text-anchor="end" font-size="10">${fmt((ymax * i) / 4)}</text>`,
      `<text x="${x}" y="${PAD.t + ih + 14}" text-anchor="middle" font-size="10">${fmt((xmax * i) / 4)}</text>`,
    );
  }
  out.push(
    `<text x="${PAD.l + iw / 2}" y="${PAD.t + ih + 30}" text-anchor="middle" font-size="10">${esc(p.xLabel)}</text>`,
    `<text x="12" y="${PAD.t + ih / 2}" font-size="10" transform="rotate(-90 12 ${PAD.t + ih / 2})" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    if (!s.dotsOnly && sorted.length > 1) {
      const d = sorted.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
      );
    }
    if (!s.dashed) {
      for (const [x, y] of sorted) {
        out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
      }
    }
    const ly = H - 14;
    const lx = PAD.l + i * 110;
    out.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${ly + 1}" font-size="10">${esc(s.name)}</text>`,
    );
  });
  return out;
}

/** Panels laid out two per row. */
export function renderSvg(title: string, panels: Panel[], subtitle = ''): string {
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * (W + 10) + 10;
  const height = rows * (H + 10) + 50;
  const body = panels.map((p, i) => {
    const x = 10 + (i % cols) * (W + 10);
    const y = 50 + Math.floor(i / cols) * (H + 10);
    const inner = p.kind === 'bars' ? bars(p) : lines(p);
    return `<g transform="translate(${x},${y})">${inner.join('')}</g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="40" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
