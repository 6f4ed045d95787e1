"""Every user-facing text in English and Spanish (Peruvian official vocabulary).

`t(key, lang, **values)` looks a text up and fills `{placeholders}`. A missing key raises in
tests (tests/test_i18n.py checks both languages have the same keys and placeholders).
"""

from __future__ import annotations

import re

from lib.state import Problem

LANGS = ("en", "es")

TEXTS: dict[str, tuple[str, str]] = {
    # app and pages
    "app_title": (
        "Pistas: where aerial drug trafficking moves in Peru",
        "Pistas: hacia dónde se desplaza el tráfico aéreo de drogas en el Perú",
    ),
    "app_tagline": (
        "How airstrip destruction and the shoot-down law (Law 30339) push trafficking between regions and routes.",
        "Cómo la inhabilitación de pistas y la ley de derribo (Ley N.° 30339) desplazan el tráfico entre regiones y rutas.",
    ),
    "page_overview": ("Overview", "Resumen"),
    "page_routes": ("Routes", "Rutas"),
    "page_data": ("Data", "Datos"),
    "page_map": ("Map", "Mapa"),
    "page_impact": ("Policy impact", "Impacto de políticas"),
    # filters
    "filters": ("Filters", "Filtros"),
    "period": ("Period", "Periodo"),
    "places": ("Areas or regions", "Ámbitos o regiones"),
    "places_help": (
        "Empty: all. An area (VRAEM) or a region (Huánuco).",
        "Vacío: todos. Un ámbito (VRAEM) o una región (Huánuco).",
    ),
    "types": ("Event types", "Tipos de evento"),
    "routes": ("Routes", "Rutas"),
    "all": ("All", "Sin filtro"),
    "data": ("Data", "Datos"),
    "data_all": ("Reported and simulated", "Reportados y simulados"),
    "data_reported": ("Reported (sourced) only", "Solo reportados (con fuente)"),
    "data_simulated": ("Simulated only", "Solo simulados"),
    "language": ("Language", "Idioma"),
    "present": ("Presenter mode", "Modo presentación"),
    "present_exit": ("Exit presenter mode", "Salir del modo presentación"),
    "map_points_csv": ("Events on the map (CSV)", "Eventos del mapa (CSV)"),
    "map_regions_csv": ("Region table (CSV)", "Tabla de regiones (CSV)"),
    "map_regions_table": ("What the map shades, by region", "Lo que sombrea el mapa, por región"),
    "upload_checking": ("Checking {name}…", "Revisando {name}…"),
    "upload_checked": ("{name} checked in {s} s", "{name} revisado en {s} s"),
    "clear_filters": ("Clear filters", "Quitar filtros"),
    "clear_selection": ("Clear chart selection ({places})", "Quitar selección del gráfico ({places})"),
    "group_by": ("Series by", "Series por"),
    "by_area": ("area", "ámbito"),
    "by_region": ("region", "región"),
    "metric": ("Event type in the chart", "Tipo de evento en el gráfico"),
    # vocabulary
    "type_airstrip_destroyed": ("airstrips destroyed", "pistas de aterrizaje clandestinas inhabilitadas"),
    "type_airstrip_detected": ("airstrips detected", "pistas de aterrizaje clandestinas detectadas"),
    "type_airstrip_rebuilt": ("airstrips rebuilt", "pistas de aterrizaje clandestinas rehabilitadas"),
    "type_flight_detected": ("drug flights detected", "vuelos ilícitos detectados"),
    "type_aircraft_interdicted": (
        "aircraft interdicted",
        "aeronaves interceptadas o derribadas (interdicción aérea)",
    ),
    "type_seizure": ("seizures", "decomisos"),
    "route_air": ("air", "aérea"),
    "route_land": ("land", "terrestre"),
    "route_river": ("river", "fluvial"),
    "route_sea": ("sea", "marítima"),
    "route_land_or_river": ("land or river", "terrestre o fluvial"),
    "prov_reported": ("reported", "reportado"),
    "prov_simulated": ("simulated", "simulado"),
    "prov_uploaded": ("your upload", "cargado por usted"),
    # KPIs
    "kpi_destroyed": ("Airstrips destroyed", "Pistas inhabilitadas"),
    "kpi_repeat": ("Strips destroyed more than once", "Pistas inhabilitadas más de una vez"),
    "kpi_rebuild": ("Median days to rebuild", "Mediana de días hasta su rehabilitación"),
    "kpi_flights": ("Drug flights detected", "Vuelos ilícitos detectados"),
    "kpi_seizures": ("Seizures", "Decomisos"),
    "kpi_kg": ("{kg} kg seized", "{kg} kg decomisados"),
    "kpi_not_in_view": ("not in view", "fuera del filtro"),
    "kpis_simulated": ("Simulated demo data in view", "Datos simulados de demostración en la vista"),
    "kpis_reported": (
        "Reported records in view (sourced; reports overlap, so their counts are not added up)",
        "Registros reportados en la vista (con fuente; los reportes se superponen, por eso no se suman)",
    ),
    "kpi_reported_records": ("Reported records", "Registros reportados"),
    "kpi_reported_sources": ("Sources they cite", "Fuentes que citan"),
    "kpi_reported_hint": (
        "Each report is drawn on the chart as a sourced marker; the Data page lists them with their links.",
        "Cada reporte aparece en el gráfico como un marcador con fuente; la página Datos los lista con sus enlaces.",
    ),
    # banners and notices
    "banner_simulated": (
        "Simulated data in view: the demo events are generated by a seeded model calibrated to sourced facts. They are not reported events.",
        "Datos simulados en la vista: los eventos de demostración provienen de un modelo reproducible (semilla fija), calibrado con hechos con fuente. No son eventos reportados.",
    ),
    "simulated_mark": ("simulated data", "datos simulados"),
    # self-describing exported figures (lib.views.figure_text)
    "export_source_sim": (
        "Source: simulated demo data (lib/simulate.py), not reported events",
        "Fuente: datos simulados de demostración (lib/simulate.py), no son hechos reportados",
    ),
    "export_source_rep": ("Sources: {sources}", "Fuentes: {sources}"),
    "export_source_mixed": (
        "Sources: {sources}; and simulated demo data (lib/simulate.py), not evidence",
        "Fuentes: {sources}; y datos simulados de demostración (lib/simulate.py), no son evidencia",
    ),
    "export_source_more": (
        "{first} and {n} more (listed in the report)",
        "{first} y {n} más (listadas en el informe)",
    ),
    "export_no_sources": ("no sourced rows in this view", "no hay filas con fuente en esta vista"),
    "version": ("data version", "versión de datos"),
    "per_month_short": ("/ month", "/ mes"),
    "export_link_line": ("{link} · data version {version}", "{link} · versión de datos {version}"),
    "export_subtitle_impact": (
        "{policy} · {metric} · {treated} · {window} months before and after · {period}",
        "{policy} · {metric} · {treated} · {window} meses antes y después · {period}",
    ),
    "version_changed": (
        "This link was made on data version {old}; the data is now version {new}, so numbers may differ from what was shared.",
        "Este enlace se hizo con la versión de datos {old}; ahora la versión es {new}, así que las cifras pueden diferir de las compartidas.",
    ),
    "data_unavailable": ("The data cannot be read: {reason}", "No se pueden leer los datos: {reason}"),
    "query_failed": (
        "This view could not be computed ({reason}). Other pages keep working; if data files changed, rebuild with `make data`.",
        "No se pudo calcular esta vista ({reason}). Las demás páginas siguen funcionando; si cambiaron los archivos, reconstruya con `make data`.",
    ),
    "query_too_heavy": (
        "This view needs more memory than the server allows each query ({limit}). Narrow the period or the areas; other views keep working.",
        "Esta vista necesita más memoria de la que el servidor permite por consulta ({limit}). Acote el periodo o los ámbitos; las demás vistas siguen funcionando.",
    ),
    "login_required": (
        "This Pistas server requires a login.",
        "Este servidor de Pistas requiere iniciar sesión.",
    ),
    "login": ("Log in", "Iniciar sesión"),
    "upload_not_allowed": (
        "Your account may not upload data on this server.",
        "Su cuenta no puede cargar datos en este servidor.",
    ),
    "problems_title": ("Some link values were not used:", "Algunos valores del enlace no se usaron:"),
    "problem_unknown_value": (
        "`{param}`: “{given}” is not a known value; using {used}.",
        "`{param}`: «{given}» no es un valor conocido; se usa {used}.",
    ),
    "problem_bad_month": (
        "`{param}`: “{given}” is not a month (YYYY-MM); using {used}.",
        "`{param}`: «{given}» no es un mes (AAAA-MM); se usa {used}.",
    ),
    "problem_after_data": (
        "`{param}`: {given} is after the last data month; using {used}.",
        "`{param}`: {given} es posterior al último mes con datos; se usa {used}.",
    ),
    "problem_before_data": (
        "`{param}`: {given} is before the first data month; using {used}.",
        "`{param}`: {given} es anterior al primer mes con datos; se usa {used}.",
    ),
    "problem_swapped": (
        "`{param}`: start after end ({given}); showing {used}.",
        "`{param}`: inicio posterior al fin ({given}); se muestra {used}.",
    ),
    "problem_too_many": (
        "`{param}`: too many values; using {used}.",
        "`{param}`: demasiados valores; se usa {used}.",
    ),
    "problem_too_long": (
        "`{param}`: value too long (“{given}”); using {used}.",
        "`{param}`: valor demasiado largo («{given}»); se usa {used}.",
    ),
    "problem_bad_number": (
        "`{param}`: “{given}” is not a whole number; using {used}.",
        "`{param}`: «{given}» no es un número entero; se usa {used}.",
    ),
    "problem_out_of_range": (
        "`{param}`: {given} is out of range; using {used}.",
        "`{param}`: {given} está fuera de rango; se usa {used}.",
    ),
    "problem_outside_period": (
        "`{param}`: {given} is outside the period; using {used}.",
        "`{param}`: {given} está fuera del periodo; se usa {used}.",
    ),
    # share box and footer
    "share": ("Share this view", "Compartir esta vista"),
    "share_help": (
        "Copy this link: it reproduces exactly this view.",
        "Copie este enlace: reproduce exactamente esta vista.",
    ),
    "footer": (
        "Data version {version} · {sources} sources · built {built}",
        "Versión de datos {version} · {sources} fuentes · generada {built}",
    ),
    "attribution": (
        "Sourced figures: press and official reports cited row by row (Data page). Demo events: simulated.",
        "Cifras con fuente: prensa e informes oficiales citados fila por fila (página Datos). Eventos de demostración: simulados.",
    ),
    "view_line": (
        "{period} · {places} · {types} · {routes} · {data}",
        "{period} · {places} · {types} · {routes} · {data}",
    ),
    "all_places": ("all areas", "todos los ámbitos"),
    "all_types": ("all event types", "todos los tipos de evento"),
    "all_routes": ("all routes", "todas las rutas"),
    # charts
    "chart_monthly": ("{metric} per month, by {by}", "{metric} por mes y {by}"),
    "axis_month": ("Month", "Mes"),
    "axis_events": ("Events", "Eventos"),
    "axis_share": ("Share of seizures", "Proporción de decomisos"),
    "axis_month_of_year": ("Month of year", "Mes del año"),
    "reported_marker": ("Reported: {count} {what}", "Reportado: {count} {what}"),
    "reported_legend": ("reported figure (sourced)", "cifra reportada (con fuente)"),
    "policy_legend": ("policy", "política"),
    "chart_route_shares": (
        "Route shares of seizures by area, by quarter (100%)",
        "Proporción de decomisos por ruta y ámbito, por trimestre (100%)",
    ),
    "axis_share_reported": (
        "Share of cocaine moved, as reported",
        "Proporción de cocaína trasladada, según los reportes",
    ),
    "chart_route_season": (
        "Route shares by month of year: the rainy season (Dec–Apr) floods riverside strips",
        "Proporción por ruta según el mes: en la temporada de lluvias (dic–abr) se inundan las pistas ribereñas",
    ),
    "chart_route_estimates": (
        "Reported route-share estimates (each its own source; never averaged) · ◆ VRAEM ● other scopes",
        "Estimaciones reportadas de rutas (cada una con su fuente; nunca promediadas) · ◆ VRAEM ● otros ámbitos",
    ),
    "rainy_season": ("rainy season", "temporada de lluvias"),
    "no_rows": ("No events match this view.", "Ningún evento coincide con esta vista."),
    "cross_filter_help": (
        "Click a line or bar to narrow the view to that area.",
        "Haga clic en una línea o barra para limitar la vista a ese ámbito.",
    ),
    # map page
    "shade": ("Regions shaded by", "Regiones coloreadas según"),
    "shade_events": ("events in view", "eventos en la vista"),
    "shade_destroyed": ("airstrips destroyed", "pistas inhabilitadas"),
    "shade_coca": ("coca hectares (DEVIDA, {year})", "hectáreas de coca (DEVIDA, {year})"),
    "shade_change": ("change after {policy} (±{window} months)", "cambio tras {policy} (±{window} meses)"),
    "layer": ("Events drawn as", "Mostrar eventos como"),
    "layer_points": ("points", "puntos"),
    "layer_hex": ("hexagons", "hexágonos"),
    "colour": ("Colour by", "Color según"),
    "colour_event_type": ("event type", "tipo de evento"),
    "colour_route": ("route", "ruta"),
    "basemap": ("Basemap", "Mapa base"),
    "basemap_carto": ("CARTO tiles (online)", "teselas CARTO (en línea)"),
    "basemap_none": ("blank (offline)", "en blanco (sin conexión)"),
    "split": ("Before / after the policy", "Antes / después de la política"),
    "before": ("Before {policy}: {start} – {end}", "Antes de {policy}: {start} – {end}"),
    "after": ("After {policy}: {start} – {end}", "Después de {policy}: {start} – {end}"),
    "policy": ("Policy", "Política"),
    "window": ("Window (months before and after)", "Ventana (meses antes y después)"),
    "playback": ("Month by month", "Mes a mes"),
    "play": ("Play", "Reproducir"),
    "play_in_browser": ("Play in the browser", "Reproducir en el navegador"),
    "play_in_browser_help": (
        "The whole period is sent once and played month by month in your browser (0.3 s a step, "
        "no wait for the server). Where it stops, the month goes into the link, as with the "
        "buttons above.",
        "Todo el periodo se envía una vez y se reproduce mes a mes en su navegador (0,3 s por paso, "
        "sin esperar al servidor). Donde se detiene, el mes pasa al enlace, como con los botones "
        "de arriba.",
    ),
    "pause": ("Pause", "Pausar"),
    "prev_month": ("Previous month", "Mes anterior"),
    "next_month": ("Next month", "Mes siguiente"),
    "all_months": ("Whole period", "Todo el periodo"),
    "month_counter": ("{month}: {n} events", "{month}: {n} eventos"),
    "points_capped": (
        "Showing a repeatable sample of {shown} of {total} located events.",
        "Se muestran {shown} de {total} eventos ubicados (muestra reproducible).",
    ),
    "map_click_help": (
        "Click a region to narrow the view to it.",
        "Haga clic en una región para limitar la vista a ella.",
    ),
    "tip_place": ("Place", "Lugar"),
    "tip_date": ("Date", "Fecha"),
    "tip_count": ("Count", "Cantidad"),
    "tip_provenance": ("Provenance", "Procedencia"),
    "tip_source": ("Source", "Fuente"),
    "tip_times_destroyed": ("Times destroyed", "Veces inhabilitada"),
    "tip_days_to_rebuild": ("Days to rebuild", "Días hasta su rehabilitación"),
    # impact page
    "treated": ("Treated areas", "Ámbitos tratados"),
    "control": (
        "Comparison areas (empty: those the policy did not move)",
        "Ámbitos de comparación (vacío: los que la norma no alteró)",
    ),
    "impact_metric": ("Events measured", "Eventos medidos"),
    "impact_reading": ("What the data say", "Qué dicen los datos"),
    "impact_its": ("Interrupted time series: {area}", "Serie temporal interrumpida: {area}"),
    "impact_did": (
        "Difference-in-differences: treated vs comparison areas",
        "Diferencia en diferencias: ámbitos tratados frente a ámbitos de comparación",
    ),
    "impact_did_effect": ("Effect (rate ratio, 95% interval)", "Efecto (razón de tasas, intervalo del 95%)"),
    "impact_pretrend": ("Pre-trend test p = {p}", "Prueba de tendencias previas p = {p}"),
    "impact_placebo": (
        "{share} of placebo estimates are as large as the real one",
        "{share} de las estimaciones placebo son tan grandes como la real",
    ),
    "impact_event_study": (
        "Event study: treated against comparison areas, 3-month periods (start month shown)",
        "Estudio de eventos: ámbitos tratados frente a ámbitos de comparación, periodos de 3 meses (se muestra el mes de inicio)",
    ),
    "impact_effects": (
        "The three answers: treated area, other areas, all areas",
        "Las tres respuestas: ámbito tratado, demás ámbitos, todos los ámbitos",
    ),
    "impact_sensitivity": (
        "Does the answer depend on the window? Estimates for windows of 6 to 60 months",
        "¿Depende la respuesta de la ventana? Estimaciones con ventanas de 6 a 60 meses",
    ),
    "impact_diagnostics": ("Diagnostics", "Diagnósticos"),
    "impact_screened": ("Screened automatically", "Selección automática"),
    "impact_policy_line": (
        "Policy date {date}; window: {window} months before and after it.",
        "Fecha de la norma: {date}; ventana: {window} meses antes y después.",
    ),
    "impact_placebos": (
        "Placebo tests: fake dates and fake treated areas",
        "Pruebas placebo: fechas y ámbitos ficticios",
    ),
    "impact_before_after": ("Before and after, by area", "Antes y después, por ámbito"),
    "impact_displacement": (
        "Displacement: each area's share of all events",
        "Desplazamiento: proporción de cada ámbito en el total",
    ),
    "impact_route_shift": (
        "Route shift within each area (seizures)",
        "Cambio de ruta dentro de cada ámbito (decomisos)",
    ),
    "impact_caveats": ("Caveats", "Advertencias"),
    "impact_uses": (
        "Estimates use {prov} only; reported and simulated counts are never pooled.",
        "Las estimaciones usan solo {prov}; los conteos reportados y simulados nunca se combinan.",
    ),
    "rows_reported": ("reported rows", "filas reportadas"),
    "rows_simulated": ("simulated rows", "filas simuladas"),
    "impact_unavailable": ("Not estimated: {reason}", "No estimado: {reason}"),
    "impact_section_policy": ("Policy", "Norma"),
    "impact_section_before_after": ("Before and after", "Antes y después"),
    "impact_section_its": ("Interrupted time series", "Serie temporal interrumpida"),
    "impact_section_did": ("Difference in differences", "Diferencia en diferencias"),
    "impact_section_others": ("Other areas", "Demás ámbitos"),
    "impact_section_net": ("All areas together", "Todos los ámbitos juntos"),
    "impact_section_displacement": ("Displacement to other areas", "Desplazamiento a otros ámbitos"),
    "impact_section_route_shift": ("Shift between routes", "Cambio entre rutas"),
    "impact_simulated_caveat": (
        "These estimates use simulated demo data: they show how the method works, not what happened.",
        "Estas estimaciones usan datos simulados de demostración: muestran cómo funciona el método, no lo que ocurrió.",
    ),
    # upload (Data page)
    "upload_title": ("Explore your own data", "Explore sus propios datos"),
    "upload_help": (
        "CSV (comma or semicolon), XLSX or Parquet; Pistas' template or an ACLED export. The file stays in this browser session only: it is not saved and no one else sees it. To add data for everyone, an administrator runs `python -m lib.ingest FILE`.",
        "CSV (coma o punto y coma), XLSX o Parquet; la plantilla de Pistas o una exportación de ACLED. El archivo queda solo en esta sesión del navegador: no se guarda y nadie más lo ve. Para agregar datos para todos, un administrador ejecuta `python -m lib.ingest ARCHIVO`.",
    ),
    "upload_file": ("File to check and explore", "Archivo para validar y explorar"),
    "template_csv": ("Template (CSV)", "Plantilla (CSV)"),
    "template_xlsx": ("Template (XLSX)", "Plantilla (XLSX)"),
    "acled_type": (
        "This is an ACLED export: which event type are its rows?",
        "Es una exportación de ACLED: ¿qué tipo de evento son sus filas?",
    ),
    "upload_problems": ("Problems, row by row", "Problemas, fila por fila"),
    "upload_counts": ("Problems by reason", "Problemas por motivo"),
    "upload_rejects": ("Download the problems (CSV)", "Descargar los problemas (CSV)"),
    "upload_valid": ("Valid rows", "Filas válidas"),
    "upload_with_builtin": ("Show beside the built-in data in view", "Mostrar junto a los datos de la vista"),
    "upload_detail": ("{detail}", "Detalle del verificador (en inglés): {detail}"),
    "upload_chart": ("Your upload by month and area", "Sus datos cargados, por mes y ámbito"),
    "upload_too_large": (
        "The file is {size} MB; uploads are capped at {cap} MB.",
        "El archivo pesa {size} MB; el límite de carga es {cap} MB.",
    ),
    # exports
    "download_image": ("Image", "Imagen"),
    "images_unavailable": (
        "Chart images need Chromium on the server: {reason} The HTML report still works.",
        "Las imágenes requieren Chromium en el servidor: {reason} El informe HTML sigue disponible.",
    ),
    "download_report": (
        "Report of this page (HTML, works offline)",
        "Informe de esta página (HTML, funciona sin conexión)",
    ),
    "download_bundle": ("Everything for this view (zip)", "Todo lo de esta vista (zip)"),
    "exports": ("Exports", "Exportaciones"),
    # data page
    "rows_in_view": ("{n} rows in view", "{n} filas en la vista"),
    "table_page": ("Page", "Página"),
    "of_pages": ("of {n}", "de {n}"),
    "sources_cited": ("Sources cited by these rows", "Fuentes citadas por estas filas"),
    "no_sources": (
        "No reported rows in view: nothing to cite (simulated rows have no source).",
        "No hay filas reportadas en la vista: nada que citar (las filas simuladas no tienen fuente).",
    ),
    "downloads": ("Download exactly these rows", "Descargar exactamente estas filas"),
    "download_csv": ("CSV", "CSV"),
    "download_xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
    "download_parquet": ("Parquet", "Parquet"),
    "export_capped": (
        "Exports hold at most {n} rows; narrow the view for the rest.",
        "Las descargas contienen como máximo {n} filas; acote la vista para el resto.",
    ),
    "provenance_note_sim": (
        "Contains simulated rows (provenance = simulated): generated by lib/simulate.py, not reported events.",
        "Contiene filas simuladas (provenance = simulated): generadas por lib/simulate.py, no son eventos reportados.",
    ),
    "provenance_note_rep": (
        "Reported rows only; each cites its source (source_id).",
        "Solo filas reportadas; cada una cita su fuente (source_id).",
    ),
    # the Overview's story (issue 13)
    "story_title": (
        "Drug flights shifted north after the VRAEM crackdown",
        "Los vuelos ilícitos se desplazaron al norte tras la ofensiva en el VRAEM",
    ),
    "story_caption_sim": (
        "Drug flights detected per quarter, by area. The shift was reported by InSight Crime (Sep 2016, “Peru drug flights shift north”); these lines are the simulated demo calibrated to the sourced facts, not evidence: see Evidence for the reports.",
        "Vuelos ilícitos detectados por trimestre y por ámbito. El desplazamiento lo informó InSight Crime (set. 2016, «Peru drug flights shift north»); estas líneas son datos simulados de demostración calibrados con los hechos con fuente, no evidencia: los reportes están en la página Evidencia.",
    ),
    "story_caption_rep": (
        "Drug-flight rates as reported, converted to a month, by area: each point is one sourced estimate with its range (hover for its source); they are never joined or averaged.",
        "Frecuencia mensual de vuelos ilícitos según los reportes, por ámbito: cada punto es una estimación con fuente y su rango (pase el cursor para ver la fuente); nunca se unen ni se promedian.",
    ),
    "story_crackdown": (
        "VRAEM crackdown (185 strips destroyed, Jan–Sep 2014)",
        "Ofensiva en el VRAEM (185 pistas inhabilitadas, ene–set 2014)",
    ),
    "story_law": ("Law 30339, shoot-down (Aug 2015)", "Ley N.° 30339, ley de derribo (ago. 2015)"),
    "axis_quarter": ("Quarter", "Trimestre"),
    "axis_flights_quarter": ("Flights detected per quarter", "Vuelos detectados por trimestre"),
    "axis_year": ("Year", "Año"),
    "axis_flights_month_reported": (
        "Drug flights a month, as reported (log scale)",
        "Vuelos ilícitos por mes, según los reportes (escala logarítmica)",
    ),
    "axis_reported_value": (
        "Reported figure (tonnes for seizures)",
        "Cifra reportada (toneladas para decomisos)",
    ),
    "empty_view": (
        "Nothing to draw: no {what} in this view. Widen the period, the places or the data filter.",
        "Nada que graficar: no hay {what} en esta vista. Amplíe el periodo, los ámbitos o regiones, o el filtro de datos.",
    ),
    "chart_reported_annual": (
        "{metric} as reported, by year and {by}: each point is one sourced row",
        "{metric} según los reportes, por año y {by}: cada punto es una fila con fuente",
    ),
    "reported_rows_table": (
        "The sourced rows behind this chart",
        "Las filas con fuente detrás de este gráfico",
    ),
    "explore": ("Explore the series", "Explorar las series"),
    # Evidence page
    "page_evidence": ("Evidence", "Evidencia"),
    "evidence_intro": (
        "Every sourced fact on one timeline: reported events, coca hectares, policies, route shares, flight rates, eradication and other figures, each with its source. The period filter does not apply here.",
        "Todos los hechos con fuente en una línea de tiempo: eventos reportados, hectáreas de coca, políticas, participación de rutas, frecuencia de vuelos, erradicación y otras cifras, cada uno con su fuente. El filtro de periodo no se aplica aquí.",
    ),
    "evidence_kinds": ("Kinds of fact", "Tipos de hecho"),
    "kind_event": ("Reported events", "Eventos reportados"),
    "kind_coca": ("Coca hectares", "Hectáreas de coca"),
    "kind_policy": ("Policies", "Políticas"),
    "kind_route_share": ("Route shares", "Participación por ruta"),
    "kind_flights": ("Flight rates", "Frecuencia de vuelos"),
    "kind_eradication": ("Eradication", "Erradicación"),
    "kind_indicator": ("Other figures", "Otras cifras"),
    "evidence_timeline": ("{n} sourced facts over time", "{n} hechos con fuente en el tiempo"),
    "evidence_empty": (
        "No sourced fact matches these filters.",
        "Ningún hecho con fuente coincide con estos filtros.",
    ),
    "evidence_table": ("Every fact in view", "Todos los hechos de la vista"),
    "evidence_conflicts": ("Where sources disagree", "Donde las fuentes discrepan"),
    "evidence_conflicts_help": (
        "Each group puts the conflicting figures side by side, each with its own source: they are never added or averaged.",
        "Cada grupo muestra juntas las cifras en conflicto, cada una con su fuente: nunca se suman ni se promedian.",
    ),
    "col_kind": ("Kind", "Tipo"),
    "col_fact": ("Fact", "Hecho"),
    "col_claim": ("Claim", "Afirmación"),
    "col_what": ("What", "Qué"),
    "col_value": ("Figure", "Cifra"),
    "col_unit": ("Unit", "Unidad"),
    "col_from": ("From", "Desde"),
    "col_to": ("To", "Hasta"),
    "col_place": ("Place", "Lugar"),
    "col_source": ("Source", "Fuente"),
    "col_link": ("Link", "Enlace"),
    # map legends and notices (issue 14)
    "unit_events": ("events", "eventos"),
    "unit_strips": ("airstrips", "pistas"),
    "unit_ha": ("ha", "ha"),
    "unit_change": ("change", "de cambio"),
    "legend_colours": ("Points: colour by {by}", "Puntos: color según {by}"),
    "legend_symbols": ("Other marks", "Otros símbolos"),
    "legend_no_data": ("no data", "sin datos"),
    "legend_shared": ("Both maps use this one scale.", "Ambos mapas usan esta misma escala."),
    "legend_hex_few": ("hexagon (~20 km): few events", "hexágono (~20 km): pocos eventos"),
    "legend_hex_many": ("hexagon (~20 km): many events", "hexágono (~20 km): muchos eventos"),
    "legend_ring": ("ring: airstrip destroyed more than once", "anillo: pista inhabilitada más de una vez"),
    "legend_zone": (
        "green circle: Devida coca zone, area by hectares ({year})",
        "círculo verde: zona cocalera de DEVIDA; tamaño según las hectáreas de coca ({year})",
    ),
    "basemap_tiles_note": (
        "The background tiles come from CARTO over the internet; without a connection the map still shows the regions, their names and the rivers.",
        "Las teselas de fondo vienen de CARTO por internet; sin conexión, el mapa muestra de todos modos las regiones, sus nombres y los ríos.",
    ),
    "map_zoomed": (
        "Zoomed to {places}. Clear the places filter to see all of Peru.",
        "Vista centrada en {places}. Quite el filtro de ámbitos o regiones para ver todo el Perú.",
    ),
    "geo_notice_env_unusable": (
        "The boundaries folder set in PISTAS_GEO_DIR could not be read; the map uses the boundaries that come with Pistas.",
        "No se pudo leer la carpeta de límites indicada en PISTAS_GEO_DIR; el mapa usa los límites incluidos en Pistas.",
    ),
    "geo_notice_cache_unusable": (
        "The downloaded boundaries file is damaged; the map uses the boundaries that come with Pistas (download again with: python -m lib.geo download --force).",
        "El archivo de límites descargado está dañado; el mapa usa los límites incluidos en Pistas (vuelva a descargarlo con: python -m lib.geo download --force).",
    ),
    "geo_notice_download_failed": (
        "The finer boundaries could not be downloaded (is there a connection?); the map uses the boundaries that come with Pistas.",
        "No se pudieron descargar los límites más detallados (¿hay conexión?); el mapa usa los límites incluidos en Pistas.",
    ),
    "geo_notice_no_boundaries": (
        "The region boundaries are missing from this copy of Pistas (data/boundaries/), so each region is shown as a circle at its centre.",
        "Faltan los límites regionales en esta copia de Pistas (data/boundaries/); cada región se muestra como un círculo en su centro.",
    ),
}

# Labels of lib.impact_charts figures in Spanish (English uses the module's defaults).
IMPACT_LABELS_ES: dict[str, str] = {
    "simulated": "datos simulados",
    "policy": "norma",
    "x_month": "Mes",
    "observed": "Observado",
    "counterfactual": "Esperado sin la norma",
    "band": "banda del 95%",
    "effect": "Observado − esperado",
    "cumulative": "Diferencia acumulada",
    "panel_observed": "Eventos observados y esperados",
    "panel_effect": "Diferencia mensual",
    "panel_cumulative": "Diferencia acumulada",
    "y_events": "Eventos por mes",
    "y_effect": "Eventos",
    "rate_ratio": "Razón de tasas (1 = sin cambio)",
    "before": "Antes",
    "after": "Después",
    "reference": "Periodo de referencia",
    "time_placebo": "Fecha ficticia",
    "months": "ene,feb,mar,abr,may,jun,jul,ago,set,oct,nov,dic",
    "space_placebo": "Ámbito tratado ficticio",
    "real": "Estimación real",
    "share": "Proporción de eventos",
    "area": "Ámbito",
    "window_months": "Meses después de la norma (ventana)",
    "design_its": "(a) frente a su propio contrafactual",
    "design_did": "Diferencia en diferencias",
    "effect_treated": "(a) tratado",
    "effect_other": "(b) otros ámbitos",
    "effect_net": "(c) todos los ámbitos",
    "effect_axis": "Efecto (razón de tasas, 1 = sin cambio)",
}

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"),
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for `key` in `lang` ('en' or 'es'), placeholders filled."""
    en, es = TEXTS[key]
    text = es if lang == "es" else en
    return text.format(**values) if values else text


def type_label(event_type: str, lang: str) -> str:
    return t(f"type_{event_type}", lang)


def route_label(route: str, lang: str) -> str:
    key = f"route_{route}"
    return t(key, lang) if key in TEXTS else route


# Every character that Streamlit's Markdown can turn into markup: links and images ([]()!), emphasis,
# code, HTML (<>), headings and lists (#+-.), tables (|), LaTeX ($), colour and icon directives (:).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=\"'&])")


def plain(value: object) -> str:
    """`value` (from a link, a file name or a file's header) as literal text inside Markdown.

    Streamlit renders notices as Markdown, so an echoed `[log in](https://evil.example)` would be a
    live link and `![p](https://evil.example/p.png)` an off-host image fetch. Backslash escapes
    make every special character literal (bare URLs too: an escaped `:` is no autolink), and line
    breaks become spaces so a value cannot start a block of its own.
    """
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# Places that take the article in Spanish, as official texts write them ("en el VRAEM").
_ARTICLE_ES = {
    "VRAEM": "el VRAEM",
    "Huallaga": "el Huallaga",
    "Alto Huallaga": "el Alto Huallaga",
    "Nacional": "el ámbito nacional",
    "Pichis-Palcazú": "el Pichis-Palcazú",
}


def place_phrase(places: str, lang: str) -> str:
    """'VRAEM' -> 'el VRAEM' in Spanish (each of a comma-joined list), unchanged in English."""
    if lang != "es":
        return places
    return ", ".join(_ARTICLE_ES.get(p.strip(), p.strip()) for p in places.split(","))


def problem_text(problem: Problem, lang: str) -> str:
    """A link problem as Markdown; the values come from the link, so they are shown as plain text."""
    return t(
        f"problem_{problem.code}",
        lang,
        param=plain(problem.param),
        given=plain(problem.given),
        used=plain(problem.used),
    )


def language_from_locale(locale: str | None) -> str:
    """'es' for any Spanish browser locale (es-PE, es_419 …), else 'en'."""
    return "es" if locale and locale.lower().startswith("es") else "en"


# ---- Policy impact (lib.impact): caveat codes and, in Spanish, why an estimate is missing ----
IMPACT_CAVEATS: dict[str, dict[str, str]] = {
    "few_events": {
        "en": "There are fewer than 10 events on one side of the policy date, so the estimate is fragile.",
        "es": "Hay menos de 10 eventos a un lado de la fecha de la norma, por lo que la "
        "estimación es frágil.",
    },
    "zero_before": {
        "en": "There were no events before the policy date, so no ratio can be computed.",
        "es": "No hubo eventos antes de la fecha de la norma, por lo que no se puede calcular una razón.",
    },
    "window_past_data": {
        "en": "The chosen window reaches beyond the available data; it was shortened to the "
        "months the data covers.",
        "es": "La ventana elegida va más allá de los datos disponibles; se acortó a los meses "
        "que cubren los datos.",
    },
    "overdispersion": {
        "en": "Monthly counts vary more than a steady random rate would produce (events come "
        "in clusters, or the rate swings from month to month), so the interval is probably "
        "too narrow.",
        "es": "Los conteos mensuales varían más de lo que produciría un ritmo aleatorio "
        "constante (los eventos llegan agrupados o el ritmo oscila de un mes a otro), por lo "
        "que el intervalo probablemente es demasiado estrecho.",
    },
    "no_seasonality": {
        "en": "There is too little data (months before the policy date, or events) to estimate "
        "seasonal patterns; they were left out of the model.",
        "es": "Hay muy pocos datos (meses previos a la norma, o eventos) para estimar la "
        "estacionalidad; no se incluyó en el modelo.",
    },
    "pretrend": {
        "en": "The treated area was already diverging from the comparison areas before the "
        "policy (pre-trend test p < 0.05), so the comparison may be biased.",
        "es": "El ámbito tratado ya se alejaba de los ámbitos de comparación antes de la norma "
        "(prueba de tendencias previas p < 0,05), por lo que la comparación puede estar sesgada.",
    },
    "no_pretrend_test": {
        "en": "The period before the policy is too short to test for pre-existing trends.",
        "es": "El periodo previo a la norma es demasiado corto para probar tendencias previas.",
    },
    "placebo_large": {
        "en": "At least one in ten placebo tests (fake dates or fake treated areas) gave an "
        "effect as large as the real one, so the estimate may reflect ordinary variation.",
        "es": "Al menos una de cada diez pruebas placebo (fechas o ámbitos ficticios) dio un "
        "efecto tan grande como el real, por lo que la estimación puede reflejar variación "
        "ordinaria.",
    },
    "few_areas": {
        "en": "Only a handful of areas are compared, so the interval relies on the model's "
        "assumptions rather than on many independent areas.",
        "es": "Se comparan pocos ámbitos, por lo que el intervalo depende de los supuestos del "
        "modelo y no de muchos ámbitos independientes.",
    },
    "control_dropped": {
        "en": "A comparison area with no events in the window was left out.",
        "es": "Se excluyó un ámbito de comparación sin eventos en la ventana.",
    },
    "sparse_bins": {
        "en": "Some periods had no events in the treated area or in the comparison areas; their "
        "event-study estimates are missing.",
        "es": "Algunos periodos no tuvieron eventos en el ámbito tratado o en los ámbitos de comparación; "
        "faltan sus estimaciones en el estudio de eventos.",
    },
    "zero_total": {
        "en": "There were no events in one of the periods, so shares cannot be computed.",
        "es": "No hubo eventos en uno de los periodos, por lo que no se pueden calcular proporciones.",
    },
    "overdispersion_widened": {
        "en": "Monthly counts vary more than a steady random rate would produce, so the exact "
        "Poisson interval was replaced by one that allows for overdispersion and correlated months.",
        "es": "Los conteos mensuales varían más de lo que produciría un ritmo aleatorio constante; "
        "por eso el intervalo exacto de Poisson se reemplazó por uno que admite sobredispersión y "
        "meses correlacionados.",
    },
    "trend_matters": {
        "en": "The answer depends on extrapolating the pre-policy trend: against a flat "
        "counterfactual (the pre-policy level) the estimate is clearly different.",
        "es": "La respuesta depende de extrapolar la tendencia previa a la norma: frente a un "
        "contrafactual plano (el nivel previo) la estimación es claramente distinta.",
    },
    "placebo_floor": {
        "en": "With this few placebo tests the smallest attainable placebo p-value is above 0.05: "
        "they can reveal a problem, not confirm the effect.",
        "es": "Con tan pocas pruebas placebo, el menor valor p placebo posible supera 0,05: pueden "
        "revelar un problema, no confirmar el efecto.",
    },
    "control_moved": {
        "en": "A comparison area you chose has its own break at the policy date (it may receive "
        "displaced activity), so the difference-in-differences probably exaggerates the change.",
        "es": "Un ámbito de comparación elegido muestra su propio quiebre en la fecha de la norma "
        "(puede recibir actividad desplazada), por lo que la diferencia en diferencias "
        "probablemente exagera el cambio.",
    },
}


IMPACT_ERRORS_ES: dict[str, str] = {
    "bad_date": "La fecha de la norma no es válida.",
    "bad_window": "La ventana debe ser un número entero de meses, de al menos 1.",
    "bad_input": "Los datos no sirven para este análisis.",
    "no_data": "No hay datos que analizar con estos filtros.",
    "window_outside_data": "La ventana elegida cae fuera del periodo con datos: acórtela o elija otra norma.",
    "no_before": "La norma es anterior al inicio de los datos: no hay un periodo previo con el cual comparar.",
    "no_after": "La norma es posterior al fin de los datos: no hay periodo posterior.",
    "too_few_months": "Hay muy pocos meses de datos a un lado de la norma para este análisis: acorte la "
    "ventana o elija otra norma.",
    "no_events": "No hay eventos en la ventana elegida: amplíe los filtros o la ventana.",
    "no_events_before": "No hay eventos en los meses previos a la norma: no hay un nivel previo con el cual comparar.",
    "no_events_after": "No hay eventos desde la norma: el modelo de series temporales no puede estimar una "
    "caída a cero (use la comparación antes/después).",
    "too_few_events": "Hay muy pocos eventos antes o después de la norma para el modelo de series temporales "
    "(use la comparación antes/después).",
    "too_sparse": "Hay muy pocos eventos para que el modelo estime el efecto; use la comparación antes/después.",
    "model_failed": "El modelo no pudo ajustarse a estos datos.",
    "several_areas": "La serie reúne varios ámbitos: elija uno o súmelos primero.",
    "no_treated": "Elija al menos un ámbito tratado.",
    "no_control": "La diferencia en diferencias necesita al menos un ámbito de comparación además del tratado.",
    "no_control_events": "Ninguno de los ámbitos de comparación tiene eventos en la ventana.",
    "unknown_policy": "La norma elegida no está en los datos.",
    "sparse_series": "Los datos reportados son reportes dispersos, no una serie mensual: un mes sin "
    "reporte es desconocido, no cero eventos. Compare las cifras reportadas año por año.",
    "no_clean_control": "Todos los demás ámbitos muestran su propio quiebre en la fecha de la norma (o no "
    "se pudieron verificar): no queda un ámbito de comparación que la norma no haya alterado. Elija usted los ámbitos "
    "de comparación para hacerla de todos modos.",
    "no_other_areas": "No hay otros ámbitos que sumar.",
}


def caveat_text(code: str, lang: str) -> str:
    """The sentence for one impact caveat code in ``lang``; unknown codes come back as themselves."""
    return IMPACT_CAVEATS.get(code, {}).get(lang, code)


def error_text(code: str, message: str, lang: str) -> str:
    """Why an analysis could not run, in ``lang``: the English message, or its Spanish sense."""
    return IMPACT_ERRORS_ES.get(code, message) if lang == "es" else message
