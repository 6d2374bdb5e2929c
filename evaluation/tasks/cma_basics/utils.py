"""cma_basics: upstream's prompt function names bound to our re-expressed prompts, and the local loader."""

from kinyu.evaluation.tasks import prompts as p
from kinyu.evaluation.tasks.data import dataset_loader


load_dataset = dataset_loader("cma_basics")


doc_to_text_00 = p.text_lettered_00
doc_to_target_alphabet = p.target_letter
doc_to_choices_alphabet = p.choices_letters
doc_to_text_01 = p.text_bracketed_01
doc_to_target_01 = p.target_text
doc_to_choices_01 = p.choices_texts
doc_to_text_01_2 = p.text_bracketed_lettered_01_2
doc_to_text_02 = p.text_numbered_02
doc_to_target_02 = p.target_number
doc_to_choices_02 = p.choices_numbers
doc_to_text_02_1 = p.text_bullets_02_1
doc_to_text_03 = p.text_alpaca_03
doc_to_text_04 = p.text_rinna_04
doc_to_text_05 = p.text_rinna_bilingual_05
doc_to_text_06 = p.text_llama2_06
