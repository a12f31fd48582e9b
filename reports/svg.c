/* reports/svg.c — inline-SVG line charts and HTML escaping for the report pages. */
#include "reports/svg.h"

void cpose_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

void cpose_svg_chart(FILE *f, const char *title, const char *xlabel, const char *ylabel,
                     const struct cpose_svg_series *s, int n)
{
    const int W = 540, H = 380, L = 50, T0 = 30, PW = 340, PH = 300;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H,
            W, H);
    fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"14\">", L);
    cpose_html_escape(f, title);
    fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T0,
            PW, PH);
    for (int g = 0; g <= 10; g += 2) {
        double v = g / 10.0;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.1f</text>\n", L - 4,
                T0 + PH - (int)(v * PH) + 3, v);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.1f</text>\n",
                L + (int)(v * PW), T0 + PH + 14, v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">", L + PW / 2, T0 + PH + 30);
    cpose_html_escape(f, xlabel);
    fprintf(f, "</text>\n<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\" "
               "text-anchor=\"middle\">",
            T0 + PH / 2, T0 + PH / 2);
    cpose_html_escape(f, ylabel);
    fprintf(f, "</text>\n");
    for (int k = 0; k < n; k++) {
        const char *col = palette[k % 10];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", col);
        int any = 0;
        for (int i = 0; i < s[k].npts; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (y < 0) continue;
            fprintf(f, "%s%.1f,%.1f", any ? " " : "", L + x * PW, T0 + PH - y * PH);
            any = 1;
        }
        fprintf(f, "\"/>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>",
                L + PW + 12, T0 + 8 + 16 * k, L + PW + 30, T0 + 8 + 16 * k, col);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", L + PW + 34, T0 + 12 + 16 * k);
        cpose_html_escape(f, s[k].label);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
}
