// Small, valid PDF files written by hand for tests (no tool needed): one page, Helvetica,
// one text line per entry of `lines`, with a correct cross-reference table so that
// poppler's pdftotext reads it without repairs. pdfWithText([]) is a page with no text
// (what a scanned resume looks like to a text extractor).
export function pdfWithText(lines) {
  const esc = (t) => t.replace(/[\\()]/g, (c) => '\\' + c);
  const content = lines.length
    ? 'BT /F1 12 Tf 72 720 Td 14 TL ' + lines.map((l) => `(${esc(l)}) '`).join(' ') + ' ET'
    : '';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
