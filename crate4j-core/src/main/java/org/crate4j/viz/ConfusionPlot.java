package org.crate4j.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/** A confusion matrix as PNG: rows are true classes, colour is the row-normalised rate, with a colour bar. */
public final class ConfusionPlot {
    private ConfusionPlot() {}

    public static void write(long[][] counts, List<String> names, String title, Path png) {
        Headless.ensure();
        int k = counts.length;
        int cell = Math.max(12, Math.min(48, 640 / Math.max(1, k)));
        int left = 150, top = 40, bar = 70;
        int w = left + k * cell + bar + 20, h = top + k * cell + 150;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(12, cell - 2)));
        for (int i = 0; i < k; i++) {
            long row = 0;
            for (long v : counts[i]) {
                row += v;
            }
            for (int j = 0; j < k; j++) {
                double rate = row == 0 ? 0 : counts[i][j] / (double) row;
                g.setColor(new Color(Colormap.rgb(rate)));
                g.fillRect(left + j * cell, top + i * cell, cell, cell);
                if (cell >= 28) {
                    g.setColor(rate > 0.5 ? Color.BLACK : Color.WHITE);
                    g.drawString(Long.toString(counts[i][j]), left + j * cell + 2, top + i * cell + cell / 2 + 4);
                }
            }
            g.setColor(Color.BLACK);
            g.drawString(name(names, i), 4, top + i * cell + cell / 2 + 4);
            Graphics2D r = (Graphics2D) g.create();
            r.rotate(Math.PI / 2);
            r.drawString(name(names, i), top + k * cell + 4, -(left + i * cell + cell / 2 - 4));
            r.dispose();
        }
        g.drawString("true \u2193  predicted \u2192", 4, top - 6);
        int bx = left + k * cell + 20;
        for (int y = 0; y < k * cell; y++) {
            g.setColor(new Color(Colormap.rgb(1 - y / (double) (k * cell - 1))));
            g.fillRect(bx, top + y, 16, 1);
        }
        g.setColor(Color.BLACK);
        g.drawString("1.0", bx + 20, top + 10);
        g.drawString("0.0", bx + 20, top + k * cell);
        g.drawString("rate", bx, top + k * cell + 16);
        g.dispose();
        AtomicWrite.png(img, png);
    }

    private static String name(List<String> names, int i) {
        String n = i < names.size() ? names.get(i) : Integer.toString(i);
        return n.length() > 18 ? n.substring(0, 17) + "…" : n;
    }
}
