import type { Metadata } from '#libs/kernel/src/metadata';

export interface MarketingFeature {
  name: string;
}

/** The fields a caller may set on a product (create and update). */
export interface ProductFields {
  active: boolean;
  default_price: string | null;
  description: string | null;
  images: string[];
  marketing_features: MarketingFeature[];
  name: string;
  shippable: boolean | null;
  statement_descriptor: string | null;
  tax_code: string | null;
  unit_label: string | null;
  url: string | null;
}

/** Stripe's Product resource as the SDK types it (API version 2026-10-28). */
export interface ProductObject extends ProductFields {
  id: string;
  object: 'product';
  created: number;
  livemode: boolean;
  metadata: Metadata;
  package_dimensions: null;
  tax_details: null;
  type: 'service';
  updated: number;
}

export interface DeletedProductObject {
  id: string;
  object: 'product';
  deleted: true;
}
