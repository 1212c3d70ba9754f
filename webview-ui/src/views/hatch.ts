/** Diagonal hatching over one cell of a hand-drawn map: "not a difference" / "not clearly above its null". */
export function hatchCell(ctx: CanvasRenderingContext2D, x: number, y: number, width: number, height: number, color = 'rgba(60,60,60,0.75)'): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, width, height);
  ctx.clip();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let k = -height; k < width; k += 5) { ctx.moveTo(x + k, y + height); ctx.lineTo(x + k + height, y); }
  ctx.stroke();
  ctx.restore();
}
