/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-demo.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "assay-gen-import.h"

/* GenCo: short news documents, an elaboration of each and rewrites conditioned on the pseudo
 * labels a zero-shot classifier gave them (AG News' four classes). */
static const char genco[] =
  "{\"doc_id\": 1, \"document\": \"Oil prices climbed above $50 a barrel as supply fears grew.\", \"text\": \"Crude oil rose past fifty dollars a barrel on Tuesday, its highest level in months, as traders worried that hurricane damage to Gulf of Mexico platforms and unrest in producing countries would tighten supply during the winter heating season.\"}\n"
  "{\"doc_id\": 1, \"document\": \"Oil prices climbed above $50 a barrel as supply fears grew.\", \"label\": \"Business\", \"text\": \"Energy markets were the story of the day: crude futures topped $50 a barrel, lifting oil company shares while airlines and chemical makers fell on fears that fuel costs would eat into quarterly profits.\"}\n"
  "{\"doc_id\": 1, \"document\": \"Oil prices climbed above $50 a barrel as supply fears grew.\", \"label\": \"World\", \"text\": \"Tension in oil-producing regions pushed prices above $50 a barrel, as governments in Asia and Europe weighed releasing strategic reserves to calm markets.\"}\n"
  "{\"doc_id\": 2, \"document\": \"The striker scored twice in the final ten minutes to win the cup.\", \"text\": \"With the match heading for extra time, the striker found the net twice in the last ten minutes, first with a header from a corner and then with a low shot, to give his club the cup.\"}\n"
  "{\"doc_id\": 2, \"document\": \"The striker scored twice in the final ten minutes to win the cup.\", \"label\": \"Sports\", \"text\": \"A late double from the striker settled the cup final: two goals in ten minutes turned a tense draw into a 2-0 win and the club's first trophy in a decade.\"}\n"
  "{\"doc_id\": 2, \"document\": \"The striker scored twice in the final ten minutes to win the cup.\", \"label\": \"World\", \"text\": \"Fans across the country celebrated in the streets after the national cup final, where two late goals decided the match.\"}\n"
  "{\"doc_id\": 3, \"document\": \"Researchers built a chip that runs neural networks on a watch battery.\", \"text\": \"A university team designed a processor that runs small neural networks while drawing so little power that a coin-cell battery lasts for months, which could bring speech and gesture recognition to tiny devices.\"}\n"
  "{\"doc_id\": 3, \"document\": \"Researchers built a chip that runs neural networks on a watch battery.\", \"label\": \"Sci/Tech\", \"text\": \"Engineers unveiled a low-power AI accelerator: by keeping weights in on-chip memory and computing with 4-bit numbers, it runs keyword spotting for a year on one watch battery.\"}\n"
  "{\"doc_id\": 3, \"document\": \"Researchers built a chip that runs neural networks on a watch battery.\", \"label\": \"Business\", \"text\": \"Chip makers are racing to sell AI hardware for wearables, and a new low-power design from university researchers has already drawn interest from two watch manufacturers.\"}\n"
  "{\"doc_id\": 4, \"document\": \"Parliament passed the budget after a night of debate.\", \"text\": \"After debating through the night, lawmakers approved the annual budget by a narrow margin, clearing the way for new spending on schools and hospitals.\"}\n"
  "{\"doc_id\": 4, \"document\": \"Parliament passed the budget after a night of debate.\", \"label\": \"World\", \"text\": \"The government survived a key test as parliament approved its budget at dawn, ending weeks of negotiation with coalition partners.\"}\n"
  "{\"doc_id\": 4, \"document\": \"Parliament passed the budget after a night of debate.\", \"label\": \"Business\", \"text\": \"Bond markets rallied after parliament passed the budget, which keeps the deficit under three percent and raises corporate taxes only slightly.\"}\n";

/* LLMiner: analysis, question and answer mined from one sentence of a passage */
static const char llminer[] =
  "{\"passage\": \"The Great Barrier Reef lies off the coast of Queensland, Australia. It is the world's largest coral reef system, made of nearly 3,000 individual reefs. Rising sea temperatures have caused mass bleaching events in 2016, 2017 and 2020.\", \"sentence\": \"It is the world's largest coral reef system, made of nearly 3,000 individual reefs.\", \"analysis\": \"'It' refers to the Great Barrier Reef from the previous sentence. The sentence states two facts: its rank (largest coral reef system) and its composition (about 3,000 reefs).\", \"question\": \"How many individual reefs make up the Great Barrier Reef?\", \"answer\": \"Nearly 3,000 individual reefs.\"}\n"
  "{\"passage\": \"The Great Barrier Reef lies off the coast of Queensland, Australia. It is the world's largest coral reef system, made of nearly 3,000 individual reefs. Rising sea temperatures have caused mass bleaching events in 2016, 2017 and 2020.\", \"sentence\": \"Rising sea temperatures have caused mass bleaching events in 2016, 2017 and 2020.\", \"analysis\": \"The sentence gives a cause (rising sea temperatures) and its effect (mass bleaching) with three years. A question should ask for the cause or the years.\", \"question\": \"What caused the mass bleaching of the Great Barrier Reef in 2016, 2017 and 2020?\", \"answer\": \"Overfishing by commercial fleets.\"}\n"
  "{\"passage\": \"Ada Lovelace translated an article on Babbage's Analytical Engine in 1843. Her notes were three times longer than the article itself. Note G described an algorithm to compute Bernoulli numbers.\", \"sentence\": \"Note G described an algorithm to compute Bernoulli numbers.\", \"analysis\": \"Note G is one of Lovelace's notes on the Analytical Engine; the sentence says what it contains. The question must name the notes so it stands alone.\", \"question\": \"What did Note G of Ada Lovelace's notes on the Analytical Engine describe?\", \"answer\": \"An algorithm for the Analytical Engine to compute Bernoulli numbers.\"}\n";

/* Preference pairs (TRL) of sampled responses */
static const char pairs[] =
  "{\"prompt\": \"A shop sells pencils at 3 for $1. How much do 18 pencils cost?\", \"chosen\": \"18 pencils are 18 / 3 = 6 groups of three. Each group costs $1, so 18 pencils cost 6 x $1 = $6.\\n### Answer: 6\", \"rejected\": \"Each pencil costs $3, so 18 pencils cost 18 x 3 = $54.\\n### Answer: 54\"}\n"
  "{\"prompt\": \"What is the capital of Australia?\", \"chosen\": \"The capital of Australia is Canberra, chosen in 1908 as a compromise between Sydney and Melbourne.\", \"rejected\": \"The capital of Australia is Sydney, its largest city.\"}\n"
  "{\"prompt\": \"Explain in one sentence why the sky is blue.\", \"chosen\": \"Air molecules scatter short blue wavelengths of sunlight much more than long red ones, so blue light reaches our eyes from all directions of the sky.\", \"rejected\": \"The sky is blue because it reflects the color of the oceans.\"}\n"
  "{\"prompt\": \"A train travels 120 km in 1.5 hours. What is its average speed?\", \"chosen\": \"Average speed is distance over time: 120 km / 1.5 h = 80 km/h.\\n### Answer: 80 km/h\", \"rejected\": \"Average speed is distance over time: 120 km / 1.5 h = 180 km/h.\\n### Answer: 180 km/h\"}\n"
  "{\"prompt\": \"Name a prime number between 20 and 30.\", \"chosen\": \"23 is prime: it has no divisors other than 1 and itself. (29 would also do.)\", \"rejected\": \"27 is a prime number between 20 and 30.\"}\n";

/* Reasoning traces with the first erroneous step labelled (ProcessBench form) */
static const char traces[] =
  "[{\"id\": \"demo-0\", \"generator\": \"demo-7b\", \"problem\": \"Tom has 3 boxes of 12 eggs and uses 7 eggs. How many eggs are left?\", \"steps\": [\"Tom starts with 3 x 12 = 36 eggs.\", \"He uses 7 eggs, so 36 - 7 = 29 eggs are left.\", \"The answer is 29.\"], \"final_answer_correct\": true, \"label\": -1},"
  " {\"id\": \"demo-1\", \"generator\": \"demo-7b\", \"problem\": \"A rectangle is 8 cm long and 5 cm wide. What is its perimeter?\", \"steps\": [\"The perimeter of a rectangle is 2 x (length + width).\", \"Length + width = 8 + 5 = 13 cm.\", \"So the perimeter is 8 x 5 = 40 cm.\", \"The answer is 40 cm.\"], \"final_answer_correct\": false, \"label\": 2},"
  " {\"id\": \"demo-2\", \"generator\": \"demo-7b\", \"problem\": \"Anna reads 15 pages a day. How many days does she need for a 200-page book?\", \"steps\": [\"She needs 200 / 15 days.\", \"200 / 15 = 13.33, so she needs 13 days.\", \"The answer is 13.\"], \"final_answer_correct\": false, \"label\": 1},"
  " {\"id\": \"demo-3\", \"generator\": \"demo-7b\", \"problem\": \"What is 15% of 240?\", \"steps\": [\"15% of 240 is 0.15 x 240.\", \"0.15 x 240 = 36.\", \"The answer is 36.\"], \"final_answer_correct\": true, \"label\": -1}]";

/* LLaVA-Reasoner pairwise rows about charts */
static const char llava[] =
  "{\"id\": \"chart-1\", \"image\": \"charts/sales-2019-2023.png\", \"question\": \"In which year were sales highest?\", \"chosen\": \"The tallest bar is 2021 at about 48 thousand units, so sales were highest in 2021.\\n### Answer: 2021\", \"rejected\": \"The tallest bar is 2023 at about 52 thousand units, so sales were highest in 2023.\\n### Answer: 2023\"}\n"
  "{\"id\": \"chart-2\", \"image\": \"charts/temperature.png\", \"question\": \"By how many degrees did the average temperature rise from January to July?\", \"chosen\": \"January reads 4 °C and July reads 22 °C, a rise of 22 - 4 = 18 degrees.\\n### Answer: 18\", \"rejected\": \"January reads 4 °C and July reads 26 °C, a rise of 26 - 4 = 22 degrees.\\n### Answer: 22\"}\n";

static gboolean
import_one (AssayStore *store, const char *contents, const char *file, const char *name,
            AssayGenMapping mapping, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("assay-demo-XXXXXX", error);
  g_autofree char *path = NULL;
  AssayGenImportOptions options;
  gboolean ok;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, file, NULL);
  ok = g_file_set_contents (path, contents, -1, error);
  if (ok)
    {
      assay_gen_import_options_init (&options);
      options.mapping = mapping;
      options.name = name;
      ok = assay_gen_import (store, path, &options, NULL, NULL, NULL, NULL, error);
    }
  g_remove (path);
  g_rmdir (dir);
  return ok;
}

gboolean
assay_gen_demo_import (AssayStore *store, GError **error)
{
  gint64 first;

  if (!import_one (store, genco, "genco.jsonl", _("GenCo elaborations (AG News)"), ASSAY_GEN_MAP_GENCO, error)
      || !import_one (store, pairs, "pairs.jsonl", _("Sampled response pairs"), ASSAY_GEN_MAP_TRL, error)
      || !import_one (store, llminer, "llminer.jsonl", _("LLMiner QA"), ASSAY_GEN_MAP_LLMINER, error)
      || !import_one (store, traces, "traces.json", _("Math traces"), ASSAY_GEN_MAP_PROCESSBENCH, error)
      || !import_one (store, llava, "charts.jsonl", _("LLaVA-Reasoner chart pairs"),
                      ASSAY_GEN_MAP_LLAVA_REASONER, error))
    return FALSE;
  /* a review in progress: a few decisions already taken (not in the undo journal) */
  first = assay_store_query_int (store, "SELECT min(id) FROM gen_records", 0);
  {
    g_autofree char *sql = g_strdup_printf (
      "UPDATE gen_records SET status = 'accepted', rating = 5 WHERE id IN (%lld, %lld);"
      "UPDATE gen_records SET status = 'rejected', rating = 2 WHERE id = %lld;"
      "UPDATE gen_records SET status = 'edited', edited = 'Tension in oil-producing regions "
      "pushed crude above $50 a barrel.' WHERE id = %lld;",
      (long long) first + 1, (long long) first + 4, (long long) first + 5, (long long) first + 2);
    return assay_store_exec (store, sql, error);
  }
}
