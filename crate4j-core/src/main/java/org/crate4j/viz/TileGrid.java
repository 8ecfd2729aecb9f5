package org.crate4j.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A figure of titled tiles in rows, with an optional heading and colour bar. Small tiles (e.g.
 * 32-pixel images) are enlarged by a whole factor with nearest-neighbour so patches stay crisp.
 */
public final class TileGrid {
    private static final int MIN_TILE = 160, GAP = 10, TITLE = 18, HEADING = 26, BAR_WIDTH = 16, BAR_AREA = 90;
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 14);

    private TileGrid() {}

    public record Tile(String title, BufferedImage image) {}

    /** A vertical colour scale for the {@link Colormap}, labelled at both ends. */
    public record ColorBar(String caption, String low, String high) {}

    /** The size of the figure {@link #render} draws for {@code count} tiles of at most tw × th pixels. */
    public static java.awt.Dimension size(int tw, int th, int count, int columns, boolean bar) {
        int cols = Math.max(1, Math.min(columns, count)), rows = (count + cols - 1) / cols;
        int scale = Math.max(1, (int) Math.ceil(MIN_TILE / (double) Math.max(tw, th)));
        int cw = tw * scale, ch = th * scale + TITLE;
        return new java.awt.Dimension(GAP + cols * (cw + GAP) + (bar ? BAR_AREA : 0), HEADING + rows * (ch + GAP) + GAP);
    }

    public static BufferedImage render(String heading, List<Tile> tiles, int columns, ColorBar bar) {
        Headless.ensure();
        int cols = Math.max(1, Math.min(columns, tiles.size())), rows = (tiles.size() + cols - 1) / cols;
        int tw = 0, th = 0;
        for (Tile t : tiles) {
            tw = Math.max(tw, t.image().getWidth());
            th = Math.max(th, t.image().getHeight());
        }
        int scale = Math.max(1, (int) Math.ceil(MIN_TILE / (double) Math.max(tw, th)));
        int cw = tw * scale, ch = th * scale + TITLE;
        java.awt.Dimension d = size(tw, th, tiles.size(), columns, bar != null);
        int width = d.width, height = d.height;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(BOLD);
        g.drawString(fit(g, heading, width - 2 * GAP), GAP, 18);
        g.setFont(FONT);
        for (int i = 0; i < tiles.size(); i++) {
            int x = GAP + (i % cols) * (cw + GAP), y = HEADING + (i / cols) * (ch + GAP);
            Tile t = tiles.get(i);
            g.drawString(fit(g, t.title(), cw), x, y + 13);
            g.drawImage(t.image(), x, y + TITLE, t.image().getWidth() * scale, t.image().getHeight() * scale, null);
        }
        if (bar != null) {
            drawBar(g, bar, GAP + cols * (cw + GAP), HEADING + TITLE, Math.max(60, rows * (ch + GAP) - GAP - TITLE));
        }
        g.dispose();
        return out;
    }

    private static void drawBar(Graphics2D g, ColorBar bar, int x, int y, int h) {
        for (int i = 0; i < h; i++) {
            g.setColor(new Color(Colormap.rgb(1.0 - i / (double) (h - 1))));
            g.drawLine(x, y + i, x + BAR_WIDTH, y + i);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x, y, BAR_WIDTH, h - 1);
        g.drawString(bar.high(), x + BAR_WIDTH + 4, y + 10);
        g.drawString(bar.low(), x + BAR_WIDTH + 4, y + h - 2);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        r.drawString(fit(r, bar.caption(), h), -(y + h), x + BAR_WIDTH + 40);
        r.dispose();
    }

    /** The text, cut with an ellipsis if it would overflow the width. */
    private static String fit(Graphics2D g, String text, int width) {
        FontMetrics m = g.getFontMetrics();
        if (m.stringWidth(text) <= width) {
            return text;
        }
        String s = text;
        while (!s.isEmpty() && m.stringWidth(s + "…") > width) {
            s = s.substring(0, s.length() - 1);
        }
        return s + "…";
    }
}
